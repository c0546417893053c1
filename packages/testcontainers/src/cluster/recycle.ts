/**
 * Forming a running cluster again from its plan, on the nodes it has (`recycle()`): empty every
 * node, forget the cluster (CLUSTER RESET HARD), form it from the plan and wait for the same
 * readiness rule as a start. Nodes that already run skip Redis's 2 s writable delay, so this is
 * well under a fresh start. Talks to nodes only through plain connections.
 *
 * Where the time goes, and how this avoids it:
 * - Redis's rejoin delay: a master turns ok only clamp(cluster-node-timeout, 500 ms, 5 s) after
 *   it last counted itself in a minority, and a master that knows no node with slots does (a
 *   reset one, until it gets its slots). Each master is reset and given its slots in one
 *   MULTI/EXEC, so the cluster's state is never computed in between and the delay never starts.
 * - Gossip: a node learns a master's slots only from that master's own messages, which come
 *   every cluster-node-timeout / 2. As at a start (bootstrap.ts), every master meets every other
 *   one (not only the first), and while a node misses slots the masters MEET it again, which
 *   sends their slots at once.
 */
import type { ClusterPlan } from '@redis-cluster-kit/plan';
import { withTimeout } from '../util/timing';
import type { AdminConnection, TrackedNode } from './admin';
import { joinReplica, meetEveryMaster, sharingSlots } from './bootstrap';
import { checkHealth, NotHealthyError, readyExpectation, waitForHealth } from './health';

/**
 * The node timeout while the cluster forms again (a node pings the others every node timeout /
 * 2, and a master's rejoin delay, should one start, is clamp(node timeout, 500 ms, 5 s)). Set
 * back to each node's own value once the cluster is ready.
 */
export const RECYCLE_NODE_TIMEOUT_MS = 500;

const NODE_TIMEOUT = 'cluster-node-timeout';
const NO_FAILOVER = 'cluster-replica-no-failover';

/** How long each step of {@link reformFromPlan} took, in ms. */
export interface ReformDurations {
  /** CONFIG GET/SET, FLUSHALL, CLUSTER RESET HARD (and a master's slots) on every node. */
  resetMs: number;
  /** MEET and REPLICATE from the plan. */
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
 * empty. When they still are (stillAsPlanned), only emptied (FLUSHALL, WAIT), ids kept.
 * Otherwise: FLUSHALL and CLUSTER RESET HARD on each (a master gets its slots and config epoch in
 * the same MULTI/EXEC), then every master meets every other one, the replicas join as at a
 * start, and the start's readiness rule. Each node gets a new id (RESET HARD); resolves with
 * name -> new id. Replicas hold automatic failover while the cluster forms, as at a start, and
 * every node's node timeout is {@link RECYCLE_NODE_TIMEOUT_MS} meanwhile; both are set back to
 * what each node had.
 */
export async function reformFromPlan(
  plan: ClusterPlan,
  nodes: readonly TrackedNode[],
  options: {
    timeoutMs: number;
    signal?: AbortSignal;
    /** The ACL users every node had at its start (`ACL SETUSER` arguments): put back, every other user deleted. */
    aclUsers?: readonly (readonly string[])[] | undefined;
  },
): Promise<{ reformed: boolean; ids: Map<string, string>; polls: number; durations: ReformDurations }> {
  const { signal } = options;
  const until = performance.now() + options.timeoutMs;
  const left = () => Math.max(1, until - performance.now());
  const byName = new Map(nodes.map((n) => [n.planned.name, n]));
  const t0 = performance.now();

  // 0. Still the plan's cluster (a test wrote data, changed users, nothing more): only empty it.
  const kept = await step('checking the cluster', () =>
    withTimeout(stillAsPlanned(plan, nodes, signal), left(), signal),
  );
  if (kept) {
    await step('emptying', () => withTimeout(emptyAsPlanned(nodes, options.aclUsers, left()), left(), signal));
    const t1 = performance.now();
    return {
      reformed: false,
      ids: new Map(nodes.map((n) => [n.planned.name, n.id])),
      polls: 1,
      durations: { resetMs: t1 - t0, formMs: 0, readyMs: 0 },
    };
  }

  // 1. On every node, in one round trip: what to set back later, the node's own IP when the
  // fixture does not know it (a kept cluster: CLIENT INFO's laddr is the address the node was
  // reached at inside its network), the settings of the recycle, then empty it and make it
  // forget the cluster; a master takes its slots in the same MULTI as its reset.
  const saved = new Map<string, { nodeTimeout: string; noFailover: string }>();
  const connections = new Map<string, AdminConnection>();
  const ids = new Map<string, string>();
  await step('emptying and resetting', () =>
    Promise.all(
      nodes.map(async (node) => {
        const { redis, endpoint } = node.admin;
        const { planned } = node;
        // Read before the SETs below: a connection's commands run in order.
        const asked = Promise.all([
          redis.call('CONFIG', 'GET', NODE_TIMEOUT),
          redis.call('CONFIG', 'GET', NO_FAILOVER),
          endpoint.internalIp === '' ? redis.call('CLIENT', 'INFO') : Promise.resolve(undefined),
        ]);
        const settings = Promise.all([
          redis.call('CONFIG', 'SET', NODE_TIMEOUT, RECYCLE_NODE_TIMEOUT_MS),
          planned.role === 'replica' ? redis.call('CONFIG', 'SET', NO_FAILOVER, 'yes') : Promise.resolve(),
        ]);
        // A replica refuses FLUSHALL (READONLY): RESET HARD empties it anyway (and a node that
        // is a replica now, after a failover, becomes an empty master with it). Outside the
        // MULTI, where a refused command would abort the whole transaction.
        const flushed = redis.call('FLUSHALL').catch((err: unknown) => {
          if (!/READONLY/.test(String(err))) throw err;
        });
        const reset =
          planned.role === 'master' && planned.slots
            ? redis
                .multi()
                .call('CLUSTER', 'RESET', 'HARD')
                .call('CLUSTER', 'ADDSLOTSRANGE', planned.slots.start, planned.slots.end)
                .call('CLUSTER', 'SET-CONFIG-EPOCH', planned.shard + 1)
                .exec()
                .then(execResult)
            : redis.call('CLUSTER', 'RESET', 'HARD');
        const myId = redis.call('CLUSTER', 'MYID');
        const users = options.aclUsers === undefined ? Promise.resolve() : restoreAclUsers(redis, options.aclUsers);
        const [timeoutReply, noFailoverReply, clientInfo] = await withNode(planned.name, asked);
        const [, , , id] = await withNode(planned.name, Promise.all([settings, flushed, reset, myId, users]));
        saved.set(planned.name, { nodeTimeout: configValue(timeoutReply), noFailover: configValue(noFailoverReply) });
        if (planned.role === 'master') ids.set(planned.name, String(id));
        const internalIp = endpoint.internalIp === '' ? localAddress(String(clientInfo)) : endpoint.internalIp;
        connections.set(
          planned.name,
          internalIp === endpoint.internalIp
            ? node.admin
            : { ...node.admin, redis, endpoint: { ...endpoint, internalIp } },
        );
      }),
    ),
  );
  const tForm = performance.now();

  // 2. Every master meets every other one; the replicas join as at a start.
  await step('forming the cluster', () =>
    withTimeout(
      (async () => {
        await meetEveryMaster(plan, connections);
        const replicas = plan.nodes.filter((n) => n.role === 'replica');
        const replicaIds = await Promise.all(replicas.map((n) => joinReplica(plan, n, connections, ids, signal)));
        replicas.forEach((n, i) => ids.set(n.name, replicaIds[i]!));
      })(),
      left(),
      signal,
    ),
  );
  const tReady = performance.now();

  // 3. The start's readiness rule (the masters' slots sent again while a node misses some),
  // then the settings set back.
  let polls = 0;
  await step('waiting for every node to be ready', async () => {
    const expected = readyExpectation(plan, ids);
    const polled = plan.nodes.map((n) => ({ name: n.name, admin: byName.get(n.name)!.admin }));
    const check = sharingSlots(plan, connections, () => checkHealth(polled, expected, signal));
    polls = await waitForHealth(check, { timeoutMs: left(), signal });
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
  return {
    reformed: true,
    ids,
    polls,
    durations: { resetMs: tForm - t0, formMs: tReady - tForm, readyMs: t1 - tReady },
  };

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

/**
 * Is the cluster still exactly as planned, with the ids it has: does every node pass the start's
 * readiness rule (the plan's slot map on every node, no slot half-way, roles, replicas linked,
 * every node known, none failed or in handshake)? Then recycle() only has to empty it: no reset,
 * no MEET, no wait for gossip.
 */
async function stillAsPlanned(
  plan: ClusterPlan,
  nodes: readonly TrackedNode[],
  signal?: AbortSignal,
): Promise<boolean> {
  const polled = nodes.map((n) => ({ name: n.planned.name, admin: n.admin }));
  const expected = readyExpectation(plan, new Map(nodes.map((n) => [n.planned.name, n.id])));
  return (await checkHealth(polled, expected, signal)).ok;
}

/**
 * Empty a cluster that is still as planned: FLUSHALL on every master, then WAIT until each one's
 * replicas have it (so every node is empty when recycle() resolves), and the start's ACL users
 * put back on every node.
 */
async function emptyAsPlanned(
  nodes: readonly TrackedNode[],
  aclUsers: readonly (readonly string[])[] | undefined,
  timeoutMs: number,
): Promise<void> {
  await Promise.all(
    nodes.map(async ({ planned, admin: { redis } }) => {
      const users = aclUsers === undefined ? Promise.resolve() : restoreAclUsers(redis, aclUsers);
      if (planned.role === 'master') {
        const replicas = nodes.filter((n) => n.planned.masterName === planned.name).length;
        await redis.call('FLUSHALL');
        if (replicas > 0) {
          const acked = Number(await redis.call('WAIT', replicas, Math.max(1, Math.floor(timeoutMs))));
          if (acked < replicas) throw new Error(`${acked} of ${replicas} replicas acknowledged the FLUSHALL`);
        }
      }
      await users;
    }),
  );
}

/**
 * The node's ACL users as at the start: each one of `aclUsers` set again from a clean slate
 * (`reset`: rules and passwords a test changed are gone), every other user deleted (which
 * closes its connections). The fixture's own connection stays: ACL SETUSER on its user keeps
 * connections that logged in.
 */
async function restoreAclUsers(
  redis: AdminConnection['redis'],
  aclUsers: readonly (readonly string[])[],
): Promise<void> {
  const planned = new Set(aclUsers.map(([name]) => name));
  const now = ((await redis.call('ACL', 'USERS')) as unknown[]).map(String);
  await Promise.all([
    ...now.filter((name) => !planned.has(name)).map((name) => redis.call('ACL', 'DELUSER', name)),
    ...aclUsers.map((args) => redis.call('ACL', 'SETUSER', ...args)),
  ]);
}

/** The replies of a MULTI/EXEC, or its first error. */
function execResult(result: [Error | null, unknown][] | null): unknown[] {
  if (result === null) throw new Error('MULTI/EXEC was aborted');
  const failed = result.find(([err]) => err !== null)?.[0];
  if (failed) throw failed;
  return result.map(([, value]) => value);
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
