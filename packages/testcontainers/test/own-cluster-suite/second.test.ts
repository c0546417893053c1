import { fileWithItsOwnCluster } from './own-cluster';

fileWithItsOwnCluster('second');
