/**
 * Forming a running cluster again from its plan, on the nodes it has (`recycle()`): empty every
 * node, forget the cluster (CLUSTER RESET HARD), form it with the same bootstrap as a start and
 * wait for the same readiness rule. Nodes that already run skip Redis's 2 s writable delay, so
 * this is well under a fresh start. Talks to nodes only through plain connections.
 */
import type { ClusterPlan } from '@redis-cluster-kit/plan';
import { withTimeout } from '../util/timing';
import type { AdminConnection, TrackedNode } from './admin';
import { formCluster } from './bootstrap';
import { checkHealth, NotHealthyError, readyExpectation, waitForHealth } from './health';

/**
 * The node timeout while the cluster forms again. A master that rejoins a cluster waits
 * clamp(cluster-node-timeout, 500 ms, 5 s) before it says ok (Redis's rejoin delay); 500 ms is
 * the least that wait can be. Set back to each node's own value once the cluster is ready.
 */
export const RECYCLE_NODE_TIMEOUT_MS = 500;

const NODE_TIMEOUT = 'cluster-node-timeout';
const NO_FAILOVER = 'cluster-replica-no-failover';

/** How long each step of {@link reformFromPlan} took, in ms. */
export interface ReformDurations {
  /** CONFIG GET/SET, FLUSHALL and CLUSTER RESET HARD on every node. */
  resetMs: number;
  /** Slots, config epochs, MEET and REPLICATE from the plan. */
  formMs: number;
  /** Until every node passes the readiness rule of a start (and the node timeouts are set back). */
  readyMs: number;
}

/** Thrown by {@link reformFromPlan}: the step it was in, and the node it was talking to when there was one. */
export class ReformError extends Error {
  override readonly name = 'ReformError';

  constructor(
    readonly phase: string,
    readonly node: string | undefined,
    override readonly cause: unknown,
    readonly verdict?: NotHealthyError['verdict'],
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/**
 * Make `nodes` (every node of `plan`, all running) exactly the cluster of the plan again, and
 * empty: FLUSHALL and CLUSTER RESET HARD on each, then the start's bootstrap and readiness rule.
 * Each node gets a new id (RESET HARD); resolves with name -> new id. Replicas hold automatic
 * failover while the cluster forms, as at a start, and every node's node timeout is lowered to
 * {@link RECYCLE_NODE_TIMEOUT_MS} meanwhile; both are set back to what each node had.
 */
export async function reformFromPlan(
  plan: ClusterPlan,
  nodes: readonly TrackedNode[],
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<{ ids: Map<string, string>; polls: number; durations: ReformDurations }> {
  const { signal } = options;
  const until = performance.now() + options.timeoutMs;
  const left = () => Math.max(1, until - performance.now());
  const byName = new Map(nodes.map((n) => [n.planned.name, n]));
  const t0 = performance.now();

  // 1. On every node, in one round trip: what to set back later, the node's own IP when the
  // fixture does not know it (a kept cluster: CLIENT INFO's laddr is the address the node was
  // reached at inside its network), then empty it and make it forget the cluster.
  const saved = new Map<string, { nodeTimeout: string; noFailover: string }>();
  const connections = new Map<string, AdminConnection>();
  await step('emptying and resetting', async () => {
    await Promise.all(
      nodes.map(async (node) => {
        const { redis, endpoint } = node.admin;
        const asked = Promise.all([
          redis.call('CONFIG', 'GET', NODE_TIMEOUT),
          redis.call('CONFIG', 'GET', NO_FAILOVER),
          endpoint.internalIp === '' ? redis.call('CLIENT', 'INFO') : Promise.resolve(undefined),
        ]);
        // A replica refuses FLUSHALL (READONLY); RESET HARD empties it anyway.
        const flushed = redis.call('FLUSHALL').catch((err: unknown) => {
          if (!/READONLY/.test(String(err))) throw err;
        });
        const reset = redis.call('CLUSTER', 'RESET', 'HARD');
        const [timeoutReply, noFailoverReply, clientInfo] = await withNode(node.planned.name, asked);
        await withNode(node.planned.name, Promise.all([flushed, reset]));
        saved.set(node.planned.name, {
          nodeTimeout: configValue(timeoutReply),
          noFailover: configValue(noFailoverReply),
        });
        const internalIp = endpoint.internalIp === '' ? localAddress(String(clientInfo)) : endpoint.internalIp;
        connections.set(
          node.planned.name,
          internalIp === endpoint.internalIp
            ? node.admin
            : { ...node.admin, redis, endpoint: { ...endpoint, internalIp } },
        );
      }),
    );
    await Promise.all(
      nodes.map((node) => {
        const mine = saved.get(node.planned.name)!;
        const set: Promise<unknown>[] = [];
        if (Number(mine.nodeTimeout) > RECYCLE_NODE_TIMEOUT_MS)
          set.push(node.admin.redis.call('CONFIG', 'SET', NODE_TIMEOUT, RECYCLE_NODE_TIMEOUT_MS));
        if (node.planned.role === 'replica' && mine.noFailover === 'no')
          set.push(node.admin.redis.call('CONFIG', 'SET', NO_FAILOVER, 'yes'));
        return withNode(node.planned.name, Promise.all(set));
      }),
    );
  });
  const tForm = performance.now();

  // 2. The start's bootstrap, over the same kind of connections.
  const ids = await step('forming the cluster', () =>
    withTimeout(formCluster(plan, connections, signal), left(), signal),
  );
  const tReady = performance.now();

  // 3. The start's readiness rule, then the settings set back.
  let polls = 0;
  await step('waiting for every node to be ready', async () => {
    const expected = readyExpectation(plan, ids);
    const polled = plan.nodes.map((n) => ({ name: n.name, admin: byName.get(n.name)!.admin }));
    polls = await waitForHealth(() => checkHealth(polled, expected, signal), { timeoutMs: left(), signal });
    await Promise.all(
      nodes.map((node) => {
        const mine = saved.get(node.planned.name)!;
        return withNode(
          node.planned.name,
          Promise.all([
            node.admin.redis.call('CONFIG', 'SET', NODE_TIMEOUT, mine.nodeTimeout),
            node.admin.redis.call('CONFIG', 'SET', NO_FAILOVER, mine.noFailover),
          ]),
        );
      }),
    );
  });
  const t1 = performance.now();
  return { ids, polls, durations: { resetMs: tForm - t0, formMs: tReady - tForm, readyMs: t1 - tReady } };

  async function step<T>(phase: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ReformError) throw new ReformError(phase, err.node, err.cause);
      if (err instanceof NotHealthyError) {
        const slowest = err.verdict?.waiting[0];
        throw new ReformError(
          phase,
          slowest?.name,
          err.cause ?? new Error(slowest ? slowest.problems.join(', ') : 'no node was polled'),
          err.verdict,
        );
      }
      throw new ReformError(phase, undefined, err);
    }
  }

  async function withNode<T>(name: string, promise: Promise<T>): Promise<T> {
    try {
      return await withTimeout(promise, left(), signal);
    } catch (err) {
      throw new ReformError('', name, err);
    }
  }
}

/** The value of a `CONFIG GET name` reply (`[name, value]`). */
function configValue(reply: unknown): string {
  const value = Array.isArray(reply) ? (reply as unknown[])[1] : undefined;
  if (typeof value !== 'string' && !Buffer.isBuffer(value))
    throw new Error(`unexpected CONFIG GET reply ${JSON.stringify(reply)}`);
  return String(value);
}

/** The IP of `laddr=` in a CLIENT INFO line (`laddr=172.18.0.2:6379`, or `[::1]:6379`). */
export function localAddress(clientInfo: string): string {
  const laddr = /(?:^|\s)laddr=(\S+)/.exec(clientInfo)?.[1];
  const ip = laddr?.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  if (!ip) throw new Error(`no laddr in CLIENT INFO "${clientInfo.trim()}"`);
  return ip;
}
