/**
 * Plain (non-cluster) connections to each node, used to form the cluster, check readiness and
 * reset data. They only need an address, so they work the same for containers and for local
 * processes (a later runtime reuses this module).
 */
import type { PlannedNode } from '@redis-cluster-kit/plan';
import { Redis } from 'ioredis';
import createDebug from 'debug';
import { accessOptions, type NodeAccess } from '../security';

const debug = createDebug('redis-cluster-kit:admin');

/** How the fixture reaches a node, whatever runs it. */
export interface NodeEndpoint {
  /** The plan's node name. */
  name: string;
  /** Host and port the test process connects to. */
  host: string;
  port: number;
  /** The address other nodes reach this one at (CLUSTER MEET takes an IP in Redis 7.0). */
  internalIp: string;
}

export interface AdminConnection {
  readonly endpoint: NodeEndpoint;
  readonly redis: Redis;
  /**
   * How long the node may take to answer one poll or one command of the fault helpers before
   * that try counts as unanswered (the cluster's `nodeAnswerTimeoutMs`); the pollers ask again.
   */
  readonly answerTimeoutMs: number;
}

/**
 * A node of a formed cluster as the fixture tracks it (the started cluster and its fault
 * helpers alike): the plan's node, its id, and its plain connection (replaced when it restarts).
 */
export interface TrackedNode {
  planned: PlannedNode;
  id: string;
  admin: AdminConnection;
}

export interface AdminOptions {
  /** Credentials and TLS (none: plain TCP as `default`). */
  access?: NodeAccess;
  /** {@link AdminConnection.answerTimeoutMs}. */
  answerTimeoutMs: number;
  /** Give up a command after this many reconnects (1 when not given: small, the pollers retry on their own). */
  maxRetriesPerRequest?: number;
}

/**
 * One plain connection to a node. RESP2 on purpose: it saves the HELLO round trip and gives
 * INFO texts as strings (ioredis's own slot refresher does the same). No ready check (no INFO
 * on connect); reconnects are quick at first and back off, and stop for good on `close()`.
 */
export function openAdminConnection(endpoint: NodeEndpoint, options: AdminOptions): AdminConnection {
  const redis = new Redis({
    host: endpoint.host,
    port: endpoint.port,
    ...accessOptions(options.access ?? {}),
    protocol: 2,
    lazyConnect: true,
    enableReadyCheck: false,
    enableOfflineQueue: true,
    maxRetriesPerRequest: options.maxRetriesPerRequest ?? 1,
    connectTimeout: 2000,
    connectionName: 'redis-cluster-kit-admin',
    retryStrategy: (times) => Math.min(times * 20, 1000),
  });
  redis.on('error', (err: Error) => debug('%s (%s:%d): %s', endpoint.name, endpoint.host, endpoint.port, err.message));
  return { endpoint, redis, answerTimeoutMs: options.answerTimeoutMs };
}

/** Close connections at once, without waiting for replies and without reconnecting. */
export function closeAdminConnections(connections: Iterable<AdminConnection>): void {
  for (const c of connections) c.redis.disconnect(false);
}
