import { isolatedFile } from './isolated-file';

isolatedFile();
