import { isolatedFile } from '../pool-file';

isolatedFile('d');
