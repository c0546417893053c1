/**
 * Form a cluster from the plan over plain connections: slots and config epochs on the masters,
 * MEET, then REPLICATE. No `redis-cli --cluster create` and its fixed sleeps: every step is
 * sent as soon as what it depends on is true.
 */
import type { ClusterPlan } from '@redis-cluster-kit/plan';
import type { AdminConnection } from './admin';
import { parseInfo } from './cluster-state';
import { delay } from './timing';

/** How often a replica retries CLUSTER REPLICATE while it does not know its master yet, and polls its link. */
const REPLICATE_RETRY_MS = 10;

function connectionOf(connections: ReadonlyMap<string, AdminConnection>, name: string): AdminConnection {
  const c = connections.get(name);
  if (!c) throw new Error(`No connection to node "${name}"`);
  return c;
}

/**
 * Give each master its slot range and a distinct config epoch (both only allowed while a node
 * knows no other node, so before MEET), and read every node's id. Returns name -> node id.
 */
export async function assignSlots(plan: ClusterPlan, connections: ReadonlyMap<string, AdminConnection>): Promise<Map<string, string>> {
  const ids = await Promise.all(
    plan.nodes.map(async (node) => {
      const { redis } = connectionOf(connections, node.name);
      const sent: Promise<unknown>[] = [];
      if (node.role === 'master' && node.slots) {
        sent.push(redis.call('CLUSTER', 'ADDSLOTSRANGE', node.slots.start, node.slots.end));
        sent.push(redis.call('CLUSTER', 'SET-CONFIG-EPOCH', node.shard + 1));
      }
      sent.push(redis.call('CLUSTER', 'MYID'));
      const replies = await Promise.all(sent);
      return [node.name, String(replies[replies.length - 1])] as const;
    }),
  );
  return new Map(ids);
}

/**
 * Introduce the nodes to each other. The first node MEETs every other one (as redis-cli does),
 * and each replica also MEETs its own master, so that REPLICATE does not wait for gossip to
 * carry the master's id across the cluster.
 */
export async function meetAll(plan: ClusterPlan, connections: ReadonlyMap<string, AdminConnection>): Promise<void> {
  const [first, ...others] = plan.nodes;
  if (!first) return;
  const meet = (from: string, toName: string) => {
    const to = plan.nodes.find((n) => n.name === toName)!;
    const target = connectionOf(connections, toName).endpoint;
    return connectionOf(connections, from).redis.call('CLUSTER', 'MEET', target.internalIp, to.port, to.busPort);
  };
  const sent: Promise<unknown>[] = others.map((n) => meet(first.name, n.name));
  for (const replica of plan.nodes) {
    if (replica.role === 'replica' && replica.masterName !== first.name) sent.push(meet(replica.name, replica.masterName!));
  }
  await Promise.all(sent);
}

/**
 * Make each replica follow its master, retrying while the replica does not know the master's id
 * yet; then, once the replica's link is up, make the master propagate one command.
 *
 * Why the extra command: a node lists a replica in CLUSTER SLOTS only once the replica's
 * replication offset is non-zero (`isReplicaAvailable`), and after a full sync from an empty
 * master the offset stays 0 until the master propagates something: with nothing written, that
 * is its first replication PING, `repl-ping-replica-period` (10 s) later. A FLUSHALL on the
 * just-created (empty) master moves the offset at once.
 */
export async function replicateAll(
  plan: ClusterPlan,
  connections: ReadonlyMap<string, AdminConnection>,
  ids: ReadonlyMap<string, string>,
  signal?: AbortSignal,
): Promise<void> {
  await Promise.all(
    plan.nodes
      .filter((n) => n.role === 'replica')
      .map(async (replica) => {
        const masterId = ids.get(replica.masterName!);
        if (masterId === undefined) throw new Error(`No node id for master "${replica.masterName}"`);
        const { redis } = connectionOf(connections, replica.name);
        for (;;) {
          try {
            await redis.call('CLUSTER', 'REPLICATE', masterId);
            break;
          } catch (err) {
            if (!(err instanceof Error) || !/Unknown node/i.test(err.message)) throw err;
            await delay(REPLICATE_RETRY_MS, signal);
          }
        }
        while (parseInfo(String(await redis.call('INFO', 'replication')))['master_link_status'] !== 'up') {
          await delay(REPLICATE_RETRY_MS, signal);
        }
        await connectionOf(connections, replica.masterName!).redis.call('FLUSHALL');
      }),
  );
}

/** All three steps: returns name -> node id. */
export async function formCluster(
  plan: ClusterPlan,
  connections: ReadonlyMap<string, AdminConnection>,
  signal?: AbortSignal,
): Promise<Map<string, string>> {
  const ids = await assignSlots(plan, connections);
  await meetAll(plan, connections);
  await replicateAll(plan, connections, ids, signal);
  return ids;
}
