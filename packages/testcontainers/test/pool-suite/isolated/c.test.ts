import { isolatedFile } from '../pool-file';

isolatedFile('c');
