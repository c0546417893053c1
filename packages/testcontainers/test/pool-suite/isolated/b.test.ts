import { isolatedFile } from '../pool-file';

isolatedFile('b');
