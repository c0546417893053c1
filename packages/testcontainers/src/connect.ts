/**
 * Connect to a cluster that another process started (Jest's globalSetup hands its
 * {@link ClusterConnectionInfo} to the workers). Such a connection owns nothing: its stop()
 * closes its clients and leaves the nodes to their owner.
 */
import type { ClusterOptions } from 'ioredis';
import { announcedAddress, createPlan, InvalidOptionError } from '@redis-cluster-kit/plan';
import { openAdminConnection, type TrackedNode } from './cluster/admin';
import { AddressTable } from './cluster/address-table';
import { clientReady } from './cluster/clients';
import { PhaseLog, type ClusterLogger } from './util/log';
import { withTimeout } from './util/timing';
import { CONNECTION_INFO_FORMAT, StartedRedisCluster, type ClusterConnectionInfo } from './started-cluster';

/** The environment variable through which Jest's globalSetup hands the cluster to workers. */
export const CONNECTION_ENV_VAR = 'REDIS_CLUSTER_KIT_CONNECTION';

/** Read connection info (JSON text or an object), checking its shape. */
export function parseConnectionInfo(value: string | unknown): ClusterConnectionInfo {
  let info: unknown = value;
  if (typeof value === 'string') {
    try {
      info = JSON.parse(value);
    } catch {
      throw new InvalidOptionError('connection info', value, 'the JSON that StartedRedisCluster.connectionInfo() produces');
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
    (candidate.runtime !== undefined && candidate.runtime !== 'docker' && candidate.runtime !== 'process')
  ) {
    throw new InvalidOptionError('connection info', info, `an object of format ${CONNECTION_INFO_FORMAT} from StartedRedisCluster.connectionInfo()`);
  }
  return candidate as ClusterConnectionInfo;
}

/** Connect to a running cluster: a ready ioredis Cluster, reset() and createClient(); stop() closes clients only. */
export async function connectToCluster(
  info: ClusterConnectionInfo,
  options: { clusterOptions?: ClusterOptions; logger?: ClusterLogger; timeoutMs?: number } = {},
): Promise<StartedRedisCluster> {
  const plan = createPlan(info.planOptions);
  const table = new AddressTable();
  const nodes: TrackedNode[] = plan.nodes.map((planned) => {
    const node = info.nodes.find((n) => n.name === planned.name);
    if (!node) throw new Error(`Connection info of cluster "${info.id}" has no node "${planned.name}"`);
    table.set(announcedAddress(plan, planned), { host: node.host, port: node.port });
    // Admin connections are lazy: only reset() opens them.
    const admin = openAdminConnection({ name: node.name, host: node.host, port: node.port, internalIp: '' }, { password: info.password });
    return { planned, id: node.id, admin };
  });
  const rc = new StartedRedisCluster({
    id: info.id,
    plan,
    nodes,
    table,
    password: info.password,
    clusterOptions: options.clusterOptions ?? {},
    runtime: { kind: info.runtime ?? 'docker', remove: async () => undefined },
    log: new PhaseLog(info.id, options.logger),
    kept: true,
    reused: true,
  });
  try {
    await withTimeout(clientReady(rc.cluster), options.timeoutMs ?? 10_000);
  } catch (err) {
    await rc.stop();
    throw new Error(`Cannot connect to Redis Cluster "${info.id}" (${err instanceof Error ? err.message : String(err)}): is the process that started it still running?`);
  }
  return rc;
}
