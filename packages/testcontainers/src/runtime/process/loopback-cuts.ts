/**
 * Partitions on the process runtime (with `networkFaults: true`): each node listens on a
 * loopback address of its own (`127.<a>.<b>.<n>`, chosen per cluster) and makes its outgoing
 * connections from it (`bind-source-addr`), so the host's iptables can tell one node's
 * traffic to another apart: a partition's chain (jumped to from INPUT) drops TCP from each
 * node's address to the address of every node in another group, and nothing else. The test
 * process connects from 127.0.0.1 (the kernel's source for 127.0.0.0/8), which no rule names.
 */
import { randomInt } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import {
  addChainInput,
  checkIptables,
  clusterChainPrefix,
  iptablesRestore,
  listChains,
  partitionChain,
  removeChainsInput,
  type DropRule,
} from '../iptables';
import type { NetworkCut, NodeNetwork } from '../types';

/** `count` loopback addresses of one cluster's own: 127.<a>.<b>.1 ... (a in 100-199, b random). */
export function clusterLoopbackAddresses(count: number): string[] {
  const a = 100 + randomInt(100);
  const b = randomInt(256);
  return Array.from({ length: count }, (_, i) => `127.${a}.${b}.${i + 1}`);
}

/** The {@link NodeNetwork} of a process cluster whose node `name` listens on `addressOf(name)`. */
export function loopbackNetwork(
  clusterId: string,
  addressOf: (name: string) => string,
): NodeNetwork & {
  /** Remove every chain of the cluster at once, synchronously (this process is exiting). */
  removeAllNow(): void;
} {
  let seq = 0;
  const live = new Map<string, NetworkCut>();
  return {
    check: () => checkIptables(false),
    async cut(groups) {
      const rules: DropRule[] = [];
      groups.forEach((group, g) => {
        for (const from of group) {
          groups.forEach((other, o) => {
            if (o !== g) for (const to of other) rules.push({ source: addressOf(from), destination: addressOf(to) });
          });
        }
      });
      const chain = partitionChain(clusterId, ++seq);
      await iptablesRestore(addChainInput(chain, rules));
      let removed: Promise<void> | undefined;
      const cut: NetworkCut = {
        remove() {
          live.delete(chain);
          removed ??= iptablesRestore(removeChainsInput([chain]));
          return removed;
        },
      };
      live.set(chain, cut);
      return cut;
    },
    async removeAll() {
      await Promise.all([...live.values()].map((c) => c.remove()));
    },
    removeAllNow() {
      if (live.size === 0) return;
      spawnSync('iptables-restore', ['-w', '--noflush'], { input: removeChainsInput([...live.keys()]) });
      live.clear();
    },
  };
}

/** Remove the chains of clusters whose owner died (the reaper); quiet when iptables cannot be used here. */
export async function removeChainsOf(clusterIds: readonly string[]): Promise<void> {
  if (clusterIds.length === 0 || process.platform !== 'linux' || process.getuid?.() !== 0) return;
  try {
    const chains = (await Promise.all(clusterIds.map((id) => listChains(clusterChainPrefix(id))))).flat();
    if (chains.length > 0) await iptablesRestore(removeChainsInput(chains));
  } catch {
    // No iptables here: no rules either.
  }
}
