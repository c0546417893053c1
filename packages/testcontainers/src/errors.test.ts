import { ClusterNotOkError } from './errors';

describe('ClusterNotOkError', () => {
  it('names the node furthest from ok, what it lacks and its CLUSTER INFO, then the others', () => {
    const error = new ClusterNotOkError(5000, 'redis-node-2', [
      {
        name: 'redis-node-2',
        problems: ['cluster_state:fail', 'sees "redis-node-1" as failed'],
        clusterInfo: 'cluster_state:fail\r\ncluster_stats_messages_sent:9\r\ncluster_known_nodes:6\r\n',
      },
      { name: 'redis-node-3', problems: ['cluster_state:fail'], clusterInfo: undefined },
    ]);
    expect(error.message).toBe(
      'Redis Cluster was not ok within 5000 ms (the timeoutMs of waitForClusterOk(), by default the cluster option faultTimeoutMs; pass { timeoutMs } to raise it): node "redis-node-2" cluster_state:fail, sees "redis-node-1" as failed; ' +
        'last CLUSTER INFO: cluster_state:fail cluster_known_nodes:6; also "redis-node-3": cluster_state:fail',
    );
  });
});
