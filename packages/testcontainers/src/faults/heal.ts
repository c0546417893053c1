/**
 * heal(): undo every fault this process made, until the cluster is as planned again.
 */
import type { WaitOptions } from '../options';
import { failover } from './failover';
import { finishMigration, migrateSlot } from './migration';
import type { NodeState } from './node-state';
import { startNode, unpauseNode } from './nodes';
import { describeRanges, readTopology, waitForClusterOk } from './observe';

/**
 * Undo every fault: start stopped nodes, unpause paused ones, finish half-way migrations,
 * move slots back to the masters the plan gives them, make replicas follow their planned
 * masters and fail over back to the planned masters (`default` mode: no write is lost).
 * Resolves when the cluster is as planned and ok on every node (an `afterEach` for tests that
 * inject faults).
 */
export async function heal(state: NodeState, options: WaitOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? state.timeouts.faultTimeoutMs;
  const until = performance.now() + timeoutMs;
  const left = () => ({ timeoutMs: Math.max(1, Math.round(until - performance.now())) });
  const t0 = performance.now();
  for (const [name, down] of [...state.down]) {
    if (down === 'paused') await unpauseNode(state, name, { waitForClusterOk: false });
    else await startNode(state, name, { ...left(), waitForClusterOk: false });
  }
  await waitForClusterOk(state, left());
  await finishMigration(state, undefined, left());
  let topology = await readTopology(state);
  // Replicas that follow another master than planned (e.g. a planned master that lost its slots).
  for (const planned of state.plan.nodes) {
    const now = topology.node(planned.name);
    if (
      planned.role === 'replica' &&
      now.role === 'replica' &&
      now.masterName !== planned.masterName &&
      topology.node(planned.masterName!).role === 'master'
    ) {
      await state.node(planned.name).admin.redis.call('CLUSTER', 'REPLICATE', state.node(planned.masterName!).id);
    }
  }
  // Planned masters that are replicas now: hand them their shard back.
  for (const shard of state.plan.shards) {
    if (topology.node(shard.master.name).role === 'replica') {
      await waitForClusterOk(state, left());
      await failover(state, shard.master.name, { mode: 'default', ...left() });
    }
  }
  // Slots that a finished migration left with another master.
  topology = await readTopology(state);
  for (const shard of state.plan.shards) {
    for (let slot = shard.slots.start; slot <= shard.slots.end; slot++) {
      const owner = topology.masterOf(slot);
      if (owner && owner.name !== shard.master.name) await migrateSlot(state, slot, shard.master.name, left());
    }
  }
  await waitForClusterOk(state, left());
  topology = await readTopology(state);
  const unlike = state.plan.nodes.flatMap((planned) => {
    const now = topology.node(planned.name);
    if (now.role !== planned.role) return [`"${planned.name}" is a ${now.role}`];
    if (planned.role === 'replica' && now.masterName !== planned.masterName)
      return [`"${planned.name}" follows "${now.masterName}"`];
    if (planned.slots && describeRanges(now.slots) !== describeRanges([planned.slots]))
      return [`"${planned.name}" serves ${describeRanges(now.slots)}`];
    return [];
  });
  if (unlike.length > 0) throw new Error(`heal() left the cluster unlike its plan: ${unlike.join('; ')}`);
  state.log.event('fault', 'healed: the cluster is as planned', performance.now() - t0);
}
