/**
 * Network partitions on demand: `partition(groups)` and `isolate(name)` cut the cluster bus and
 * replication between groups of nodes through the runtime's {@link NodeNetwork} (iptables
 * rules of the partition's own), while the test process still reaches every node. Each returns
 * a {@link NetworkPartition} whose `lift()` removes exactly its rules and lets the cluster settle
 * by itself; heal(), recycle() and stop() lift whatever is left first.
 */
import { InvalidOptionError } from '@redis-cluster-kit/plan';
import { NetworkFaultsUnavailableError } from '../errors';
import type { NetworkCut } from '../runtime/types';
import type { NodeState } from './node-state';

/** A partition in place, from `partition()` or `isolate()`. */
export interface NetworkPartition {
  /** The groups cut from each other, the nodes named in no group as the last one. */
  readonly groups: readonly (readonly string[])[];
  /** When the rules were in place (`performance.now()`, the clock of {@link RecordedEvent.at}). */
  readonly at: number;
  /** True once {@link NetworkPartition.lift} (or heal(), recycle(), stop()) removed its rules. */
  readonly lifted: boolean;
  /** Remove this partition's rules, and only them; the cluster settles by itself (nothing is waited for). Idempotent. */
  lift(): Promise<void>;
}

/** Check `groups` against the plan and complete them with the nodes in no group; throws a one-line error before anything changes. */
export function partitionGroups(state: NodeState, groups: unknown): string[][] {
  const allowed = 'an array of groups, each a non-empty array of node names (e.g. [["redis-node-1"]])';
  if (!Array.isArray(groups) || groups.length === 0) throw new InvalidOptionError('groups', groups, allowed);
  const seen = new Map<string, number>();
  groups.forEach((group: unknown, g) => {
    if (!Array.isArray(group) || group.length === 0 || !group.every((n) => typeof n === 'string')) {
      throw new InvalidOptionError(`groups[${g}]`, group, allowed);
    }
    for (const name of group) {
      state.node(name); // "No node "x" in this cluster. Nodes are: ..."
      const before = seen.get(name);
      if (before !== undefined) {
        throw new Error(
          `Node "${name}" is in groups ${before} and ${g} of the partition; a node can be in one group only`,
        );
      }
      seen.set(name, g);
    }
  });
  const rest = state.plan.nodes.map((n) => n.name).filter((n) => !seen.has(n));
  const all = [...(groups as string[][]).map((g) => [...g]), ...(rest.length > 0 ? [rest] : [])];
  if (all.length < 2) {
    throw new Error(
      `A partition needs two groups or more, and ${JSON.stringify(groups)} puts every node in one: leave some nodes out (they form one more group)`,
    );
  }
  for (const group of all) for (const name of group) state.requireRunning(name, 'partition');
  return all;
}

/** The partitions of one cluster. */
export class Partitions {
  readonly #state: NodeState;
  readonly #live = new Set<{ cut: NetworkCut; describe: string; lifted: boolean }>();

  constructor(state: NodeState) {
    this.#state = state;
  }

  /** How many partitions are in place. */
  get size(): number {
    return this.#live.size;
  }

  async partition(groups: unknown, what = 'partition'): Promise<NetworkPartition> {
    const state = this.#state;
    const all = partitionGroups(state, groups);
    const network = state.requireRuntime(what).network;
    if (!network) {
      throw new NetworkFaultsUnavailableError(
        `are not available on this runtime: start the cluster with networkFaults: true (the process runtime then puts each node on a loopback address of its own)`,
      );
    }
    await network.check();
    const t0 = performance.now();
    const cut = await network.cut(all);
    const at = performance.now();
    const describe = all.map((g) => `[${g.join(', ')}]`).join(' | ');
    const entry = { cut, describe, lifted: false };
    this.#live.add(entry);
    state.log.event('fault', `${what}: ${describe} cut from each other`, at - t0);
    const lift = async () => {
      if (entry.lifted) return;
      entry.lifted = true;
      this.#live.delete(entry);
      const t1 = performance.now();
      await cut.remove();
      state.log.event('fault', `lifted ${what}: ${describe}`, performance.now() - t1);
    };
    return {
      groups: all,
      at,
      get lifted() {
        return entry.lifted;
      },
      lift,
    };
  }

  /** Lift every partition still in place (heal, recycle, stop). */
  async liftAll(): Promise<void> {
    const entries = [...this.#live];
    this.#live.clear();
    for (const e of entries) e.lifted = true;
    const results = await Promise.allSettled(entries.map((e) => e.cut.remove()));
    if (entries.length > 0) this.#state.log.event('fault', `lifted ${entries.length} partition(s)`);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
