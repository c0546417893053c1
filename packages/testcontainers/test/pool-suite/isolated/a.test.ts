import { isolatedFile } from '../pool-file';

isolatedFile('a');
