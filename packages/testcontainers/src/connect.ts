/**
 * Connect to a cluster that another process started (Jest's globalSetup hands its
 * {@link ClusterConnectionInfo} to the workers). Such a connection owns nothing: its stop()
 * closes its clients and leaves the nodes to their owner.
 */
import type { ClusterOptions } from 'ioredis';
import { createPlan, InvalidOptionError } from '@redis-cluster-kit/plan';
import { closeAdminConnections } from './cluster/admin';
import { connectNodes } from './cluster/attach';
import { clientReady } from './cluster/clients';
import { CONNECTION_INFO_FORMAT, type ClusterConnectionInfo, type StartedRedisCluster } from './started-redis-cluster';
import { assembleStartedCluster } from './assemble-started-cluster';
import { DEFAULT_FIXTURE_OPTIONS, defaultTimeouts, type ClusterLogger } from './options';
import type { NodeAccess } from './security';
import { PhaseLog } from './util/log';
import { withTimeout } from './util/timing';

/** The environment variable through which Jest's globalSetup hands the cluster to workers. */
export const CONNECTION_ENV_VAR = 'REDIS_CLUSTER_KIT_CONNECTION';

/** Read connection info (JSON text or an object), checking its shape. */
export function parseConnectionInfo(value: unknown): ClusterConnectionInfo {
  let info: unknown = value;
  if (typeof value === 'string') {
    try {
      info = JSON.parse(value);
    } catch {
      throw new InvalidOptionError(
        'connection info',
        value,
        'the JSON that StartedRedisCluster.connectionInfo() produces',
      );
    }
  }
  const candidate = info as Partial<ClusterConnectionInfo> | null;
  if (
    candidate === null ||
    typeof candidate !== 'object' ||
    candidate.format !== CONNECTION_INFO_FORMAT ||
    typeof candidate.id !== 'string' ||
    typeof candidate.planOptions !== 'object' ||
    !Array.isArray(candidate.nodes) ||
    (candidate.runtime !== undefined && candidate.runtime !== 'docker' && candidate.runtime !== 'process') ||
    (candidate.network !== undefined && typeof candidate.network !== 'string') ||
    (candidate.aclUsers !== undefined &&
      !(
        Array.isArray(candidate.aclUsers) &&
        candidate.aclUsers.every((u) => Array.isArray(u) && u.every((a) => typeof a === 'string'))
      ))
  ) {
    throw new InvalidOptionError(
      'connection info',
      info,
      `an object of format ${CONNECTION_INFO_FORMAT} from StartedRedisCluster.connectionInfo()`,
    );
  }
  return candidate as ClusterConnectionInfo;
}

/** The credentials and TLS material of a worker's connections, as the connection info carries them. */
function workerAccess(info: ClusterConnectionInfo): NodeAccess {
  return { username: info.username, password: info.password, tls: info.tls, aclUsers: info.aclUsers };
}

/** Connect to a running cluster: a ready ioredis Cluster, reset() and createClient(); stop() closes clients only. */
export function connectToCluster(
  info: ClusterConnectionInfo,
  options: {
    /** ioredis Cluster options for its clients. */
    clusterOptions?: ClusterOptions;
    logger?: ClusterLogger;
    /** How long the client may take to be ready. @default 30000 (`DEFAULT_FIXTURE_OPTIONS.connectTimeoutMs`) */
    timeoutMs?: number;
  } = {},
): Promise<StartedRedisCluster> {
  return connectWith(info, options, false);
}

/**
 * {@link connectToCluster}; with `readIds`, every node's id is read from the node (CLUSTER MYID)
 * instead of taken from `info`: a pool member's ids change with every recycle.
 */
export async function connectWith(
  info: ClusterConnectionInfo,
  options: Parameters<typeof connectToCluster>[1] & object,
  readIds: boolean,
): Promise<StartedRedisCluster> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_FIXTURE_OPTIONS.connectTimeoutMs;
  const plan = createPlan(info.planOptions);
  for (const planned of plan.nodes) {
    if (!info.nodes.some((n) => n.name === planned.name))
      throw new Error(`Connection info of cluster "${info.id}" has no node "${planned.name}"`);
  }
  const timeouts = { ...defaultTimeouts(), ...info.timeouts };
  // Admin connections are lazy: only reset() opens them.
  const { table, admins } = connectNodes(
    plan,
    new Map(info.nodes.map((n) => [n.name, { host: n.host, port: n.port }])),
    { access: workerAccess(info), answerTimeoutMs: timeouts.nodeAnswerTimeoutMs },
  );
  let ids = new Map(info.nodes.map((n) => [n.name, n.id]));
  if (readIds) {
    try {
      const read = plan.nodes.map(
        async (n) => [n.name, String(await admins.get(n.name)!.redis.call('CLUSTER', 'MYID'))] as const,
      );
      ids = new Map(await withTimeout(Promise.all(read), timeoutMs));
    } catch (err) {
      closeAdminConnections(admins.values());
      throw new Error(
        `Cannot connect to Redis Cluster "${info.id}" (${err instanceof Error ? err.message : String(err)})`,
      );
    }
  }
  const rc = assembleStartedCluster({
    id: info.id,
    plan,
    ids,
    admins,
    table,
    access: workerAccess(info),
    timeouts,
    clusterOptions: options.clusterOptions ?? {},
    runtime: { kind: info.runtime ?? 'docker', network: info.network, remove: () => Promise.resolve() },
    log: new PhaseLog(info.id, options.logger),
    origin: 'connected',
  });
  try {
    await withTimeout(clientReady(rc.cluster), timeoutMs);
  } catch (err) {
    await rc.stop();
    throw new Error(
      `Cannot connect to Redis Cluster "${info.id}" (${err instanceof Error ? err.message : String(err)}): is the process that started it still running?`,
    );
  }
  return rc;
}
