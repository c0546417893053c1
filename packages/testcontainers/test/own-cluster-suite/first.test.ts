import { fileWithItsOwnCluster } from './own-cluster';

fileWithItsOwnCluster('first');
