import { isolatedFile } from './pool-file.js';

isolatedFile('four');
