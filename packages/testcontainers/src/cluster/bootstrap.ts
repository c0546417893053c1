/**
 * Form a cluster from the plan over plain connections: slots and config epochs on the masters,
 * MEET, then REPLICATE. No `redis-cli --cluster create` and its fixed sleeps: every step is
 * sent as soon as what it depends on is true. The steps work node by node, so that a runtime
 * can start with the nodes it has (masters first) while others are still coming up.
 */
import {
  serverFromInfo,
  unsupportedServerReason,
  SUPPORTED_ENGINES_TEXT,
  type ClusterPlan,
  type PlannedNode,
} from '@redis-cluster-kit/plan';
import type { AdminConnection } from './admin';
import type { HealthVerdict } from './health';
import { parseInfo } from './replies';
import { delay } from '../util/timing';

/** How often a replica retries CLUSTER REPLICATE while it does not know its master yet, and polls its link. */
const REPLICATE_RETRY_MS = 10;

function connectionOf(connections: ReadonlyMap<string, AdminConnection>, name: string): AdminConnection {
  const c = connections.get(name);
  if (!c) throw new Error(`No connection to node "${name}"`);
  return c;
}

/**
 * Before a node meets any other: a master gets its slot range and a config epoch of its own
 * (both only allowed while it knows no other node). Returns the node's id. The node's `INFO
 * server` goes in the same round trip and is read first: a server the kit does not support
 * (Redis < 7.0 has no ADDSLOTSRANGE) fails with {@link UnsupportedServer}, not with the
 * error of a command it does not know.
 */
export async function prepareNode(node: PlannedNode, { redis }: AdminConnection): Promise<string> {
  const sent: Promise<unknown>[] = [redis.call('INFO', 'server')];
  if (node.role === 'master' && node.slots) {
    sent.push(redis.call('CLUSTER', 'ADDSLOTSRANGE', node.slots.start, node.slots.end));
    sent.push(redis.call('CLUSTER', 'SET-CONFIG-EPOCH', node.shard + 1));
  }
  sent.push(redis.call('CLUSTER', 'MYID'));
  const settled = await Promise.allSettled(sent);
  const info = settled[0]!;
  if (info.status === 'fulfilled') checkServer(node.name, String(info.value));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  const last = settled[settled.length - 1] as PromiseFulfilledResult<unknown>;
  return String(last.value);
}

/**
 * The node runs a supported server, by what its `INFO server` says (server_name,
 * valkey_version, redis_version), never by an image's tag.
 * @throws UnsupportedServer naming what it found and what is supported.
 */
export function checkServer(node: string, info: string): void {
  const server = serverFromInfo(info);
  const reason = server
    ? unsupportedServerReason(server)
    : `its INFO server names no server version; supported: ${SUPPORTED_ENGINES_TEXT}`;
  if (reason !== undefined) throw new UnsupportedServer(node, reason);
}

/** A node runs a server the kit does not support (the start reports it as errors.ts's UnsupportedServerError). */
export class UnsupportedServer extends Error {
  constructor(
    readonly node: string,
    readonly reason: string,
  ) {
    super(`node "${node}": ${reason}`);
  }
}

/** `from` introduces itself to `to` (CLUSTER MEET with `to`'s internal IP, client port and bus port). */
export async function meet(from: AdminConnection, to: AdminConnection, toNode: PlannedNode): Promise<void> {
  await from.redis.call('CLUSTER', 'MEET', to.endpoint.internalIp, toNode.port, toNode.busPort);
}

/**
 * Make a replica follow its master, retrying while the replica does not know the master's id
 * yet; then, once the replica's link is up, make the master propagate one command.
 *
 * Why the extra command: a node lists a replica in CLUSTER SLOTS only once the replica's
 * replication offset is non-zero (`isReplicaAvailable`), and after a full sync from an empty
 * master the offset stays 0 until the master propagates something: with nothing written, that
 * is its first replication PING, `repl-ping-replica-period` (10 s) later. A FLUSHALL on the
 * just-created (empty) master moves the offset at once.
 */
export async function attachReplica(
  replica: AdminConnection,
  master: AdminConnection,
  masterId: string,
  signal?: AbortSignal,
): Promise<void> {
  for (;;) {
    try {
      await replica.redis.call('CLUSTER', 'REPLICATE', masterId);
      break;
    } catch (err) {
      if (!(err instanceof Error) || !/Unknown node/i.test(err.message)) throw err;
      await delay(REPLICATE_RETRY_MS, signal);
    }
  }
  while (parseInfo(String(await replica.redis.call('INFO', 'replication')))['master_link_status'] !== 'up') {
    await delay(REPLICATE_RETRY_MS, signal);
  }
  await master.redis.call('FLUSHALL');
}

/**
 * Join one replica to a cluster whose masters are prepared and met: the first node MEETs it (as
 * redis-cli does for every node), it MEETs its own master (so that REPLICATE need not wait for
 * gossip to carry the master's id), then it is attached. Returns the replica's id.
 */
export async function joinReplica(
  plan: ClusterPlan,
  node: PlannedNode,
  connections: ReadonlyMap<string, AdminConnection>,
  ids: ReadonlyMap<string, string>,
  signal?: AbortSignal,
  /** Called with the replica's id as soon as it is known (before the replica is linked). */
  onId?: (id: string) => void,
): Promise<string> {
  const first = plan.nodes[0]!;
  const self = connectionOf(connections, node.name);
  const master = connectionOf(connections, node.masterName!);
  const masterNode = plan.nodes.find((n) => n.name === node.masterName)!;
  const masterId = ids.get(node.masterName!);
  if (masterId === undefined) throw new Error(`No node id for master "${node.masterName}"`);
  const id = await prepareNode(node, self);
  onId?.(id);
  await Promise.all([
    meet(connectionOf(connections, first.name), self, node),
    node.masterName === first.name ? Promise.resolve() : meet(self, master, masterNode),
  ]);
  await attachReplica(self, master, masterId, signal);
  await announceReplica(plan, self, connections, signal);
  return id;
}

/**
 * Make every node learn at once that this replica is linked. Nodes list a replica in CLUSTER
 * SLOTS only when they have seen a non-zero replication offset in a message from it, and a
 * replica sends each node a ping only every `cluster-node-timeout` / 2: up to ~0.6 s per node
 * after the link is up. A CLUSTER MEET from the replica to a node it already knows sends that
 * node a MEET message at once, whose header carries the replica's role and offset; the
 * handshake entry it creates on the replica is dropped as soon as the node answers with its
 * known id, as Redis does for any repeated MEET.
 */
export async function announceReplica(
  plan: ClusterPlan,
  replica: AdminConnection,
  connections: ReadonlyMap<string, AdminConnection>,
  signal?: AbortSignal,
): Promise<void> {
  // The FLUSHALL sent to the master must have reached the replica, or the offset sent is 0.
  while (Number(parseInfo(String(await replica.redis.call('INFO', 'replication')))['slave_repl_offset'] ?? 0) <= 0) {
    await delay(REPLICATE_RETRY_MS, signal);
  }
  const others = [...connections.values()].filter((c) => c !== replica && c.endpoint.internalIp !== '');
  await Promise.all(
    others.map((c) =>
      meet(
        replica,
        c,
        plan.nodes.find((n) => n.name === c.endpoint.name)!,
      ),
    ),
  );
}

/**
 * Every master MEETs every other one. Had only the first one MEET the others (as redis-cli
 * does), the others would learn of each other from its gossip, a random pick of known nodes in
 * pings sent every cluster-node-timeout / 2: on a busy machine that took seconds (a 3-master
 * start waited 4 s instead of 2 for one master to know another).
 */
export async function meetEveryMaster(
  plan: ClusterPlan,
  connections: ReadonlyMap<string, AdminConnection>,
): Promise<void> {
  const masters = plan.nodes.filter((n) => n.role === 'master');
  await Promise.all(
    masters.flatMap((from) =>
      masters
        .filter((to) => to.name !== from.name)
        .map((to) => meet(connectionOf(connections, from.name), connectionOf(connections, to.name), to)),
    ),
  );
}

/** While a node misses slots, the masters MEET it again at most this often (a cluster bus link is made on the next 100 ms tick of Redis's cron). */
export const SHARE_SLOTS_EVERY_MS = 100;

/**
 * A readiness check that, while a node misses slots (by its CLUSTER INFO), has every master
 * MEET that node again, at most every {@link SHARE_SLOTS_EVERY_MS}: a node learns a master's
 * slots only from that master's own messages, which come every cluster-node-timeout / 2, and a
 * MEET from a node it knows sends them at once. The first share waits that long too: a MEET to
 * a node still in handshake carries nothing.
 */
export function sharingSlots(
  plan: ClusterPlan,
  connections: ReadonlyMap<string, AdminConnection>,
  check: () => Promise<HealthVerdict>,
): () => Promise<HealthVerdict> {
  const masters = plan.nodes.filter((n) => n.role === 'master');
  let sharedAt = performance.now();
  return async () => {
    const verdict = await check();
    const missing = verdict.ok ? [] : missingSlots(verdict);
    if (missing.length > 0 && performance.now() - sharedAt >= SHARE_SLOTS_EVERY_MS) {
      sharedAt = performance.now();
      await Promise.all(
        masters.flatMap((from) =>
          missing
            .filter((name) => name !== from.name)
            .map((name) =>
              meet(
                connectionOf(connections, from.name),
                connectionOf(connections, name),
                plan.nodes.find((n) => n.name === name)!,
              ),
            ),
        ),
      );
    }
    return verdict;
  };
}

/** The nodes of the verdict that do not have every slot yet (by their CLUSTER INFO). */
function missingSlots(verdict: HealthVerdict): string[] {
  return verdict.waiting
    .filter((w) => w.clusterInfo !== undefined && parseInfo(w.clusterInfo)['cluster_slots_assigned'] !== '16384')
    .map((w) => w.name);
}

/** Prepare every master, then have every master MEET every other one. Returns name -> id of the masters. */
export async function formMasters(
  plan: ClusterPlan,
  connections: ReadonlyMap<string, AdminConnection>,
): Promise<Map<string, string>> {
  const masters = plan.nodes.filter((n) => n.role === 'master');
  const ids = new Map(
    await Promise.all(
      masters.map(async (n) => [n.name, await prepareNode(n, connectionOf(connections, n.name))] as const),
    ),
  );
  await meetEveryMaster(plan, connections);
  return ids;
}

/** The whole cluster at once, when every node is already up. Returns name -> node id. */
export async function formCluster(
  plan: ClusterPlan,
  connections: ReadonlyMap<string, AdminConnection>,
  signal?: AbortSignal,
): Promise<Map<string, string>> {
  const ids = await formMasters(plan, connections);
  const replicas = plan.nodes.filter((n) => n.role === 'replica');
  const replicaIds = await Promise.all(replicas.map((n) => joinReplica(plan, n, connections, ids, signal)));
  replicas.forEach((n, i) => ids.set(n.name, replicaIds[i]!));
  return ids;
}
