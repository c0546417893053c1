import { isolatedFile } from './pool-file.js';

isolatedFile('three');
