import { checkServer, UnsupportedServer } from './cluster/bootstrap';
import { ClusterNotOkError, NodeExitedError, UnsupportedServerError } from './errors';

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

describe('a server the kit does not support', () => {
  it('is named by its INFO server, with what is supported, in one line', () => {
    expect(() => checkServer('redis-node-1', '# Server\r\nredis_version:8.0.2\r\n')).not.toThrow();
    expect(() =>
      checkServer('redis-node-1', '# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:8.1.1\r\n'),
    ).not.toThrow();
    const refused = (info: string) => {
      try {
        checkServer('redis-node-2', info);
      } catch (err) {
        expect(err).toBeInstanceOf(UnsupportedServer);
        const { node, reason } = err as UnsupportedServer;
        return new UnsupportedServerError(node, reason).message;
      }
      throw new Error('checkServer accepted it');
    };
    expect(refused('# Server\r\nredis_version:6.2.14\r\n')).toBe(
      'Node "redis-node-2" cannot form a cluster: it is Redis 6.2.14; supported: Redis >= 7.0 or Valkey >= 7.2 (from INFO server). ' +
        'Use an image (image option, REDIS_CLUSTER_IMAGE) or a redis-server (redisServerPath) of one of those.',
    );
    expect(refused('server_name:keydb\r\nredis_version:6.3.4\r\n')).toContain('it is keydb 6.3.4, an unknown server');
    expect(refused('# Server\r\nos:Linux\r\n')).toContain('its INFO server names no server version');
  });

  it("that exits on the plan's directives is named first in NodeExitedError", () => {
    const lines = [
      '*** FATAL CONFIG FILE ERROR (Redis 6.2.14) ***',
      'Reading the configuration file, at line 2',
      '>>> \'cluster-port "17101"\'',
      'Bad directive or wrong number of arguments',
    ];
    expect(new NodeExitedError('redis-node-1', lines).message).toBe(
      'redis-server of node "redis-node-1" exited before it accepted connections: it is Redis 6.2.14; supported: Redis >= 7.0 or Valkey >= 7.2; ' +
        lines.join(' | '),
    );
    // A supported server's config error is reported as it is (Valkey writes "Version", not its name).
    for (const first of [
      '*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***',
      '*** FATAL CONFIG FILE ERROR (Version 8.0.1) ***',
    ]) {
      const own = [first, 'Bad directive or wrong number of arguments'];
      expect(new NodeExitedError('redis-node-1', own).message).toBe(
        `redis-server of node "redis-node-1" exited before it accepted connections: ${own.join(' | ')}`,
      );
    }
  });
});
