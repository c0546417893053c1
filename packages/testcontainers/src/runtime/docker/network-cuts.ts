/**
 * Partitions on the Docker runtime: iptables rules in each node's own network namespace
 * (`nsenter -t <container pid> -n iptables-restore`; the image needs no iptables), in a chain of
 * the partition's own that drops TCP from the container IPs of the nodes in the other groups:
 * the cluster bus and replication (which runs over the client port) are both cut, both ways,
 * while the test process, which reaches a node through its published port (from the network's
 * gateway, not from a node's IP), still reaches every node.
 */
import { existsSync } from 'node:fs';
import type Dockerode from 'dockerode';
import { NetworkFaultsUnavailableError } from '../../errors';
import { addChainInput, checkIptables, iptablesRestore, partitionChain, removeChainsInput } from '../iptables';
import type { NetworkCut, NodeNetwork } from '../types';
import type { NodeContainer } from './container-nodes';

/** The {@link NodeNetwork} of a cluster's containers on `networkName`. */
export function containerNetwork(
  docker: Dockerode,
  clusterId: string,
  networkName: string,
  containers: ReadonlyMap<string, NodeContainer>,
): NodeNetwork {
  let seq = 0;
  const live = new Set<NetworkCut>();
  const where = async (name: string) => {
    const c = containers.get(name);
    if (!c) throw new Error(`No container for node "${name}"`);
    const info = await docker.getContainer(c.id).inspect();
    const pid = info.State.Pid;
    const ip = info.NetworkSettings.Networks?.[networkName]?.IPAddress;
    if (!info.State.Running || !pid || !ip)
      throw new Error(`Cannot cut the network of node "${name}": it is not running`);
    if (!existsSync(`/proc/${pid}/ns/net`)) {
      throw new NetworkFaultsUnavailableError(
        `(partitions) need a Docker daemon on this Linux host: the container of node "${name}" (pid ${pid}) is not in this host's /proc (Docker Desktop or a remote daemon runs it elsewhere); use runtime: 'process' there`,
      );
    }
    return { name, pid, ip };
  };
  return {
    check: () => checkIptables(true),
    async cut(groups) {
      const nodes = await Promise.all(groups.map((g) => Promise.all(g.map(where))));
      const chain = partitionChain(clusterId, ++seq);
      const applied: number[] = [];
      const remove = async () => {
        const pids = applied.splice(0);
        live.delete(cut);
        // A container stopped (or restarted) meanwhile took its rules with its old namespace.
        const results = await Promise.allSettled(
          pids
            .filter((pid) => existsSync(`/proc/${pid}/ns/net`))
            .map((pid) => iptablesRestore(removeChainsInput([chain]), pid)),
        );
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
      };
      const cut: NetworkCut = { remove };
      live.add(cut);
      try {
        await Promise.all(
          nodes.flatMap((group, g) =>
            group.map(async (node) => {
              const others = nodes.flatMap((other, o) => (o === g ? [] : other.map((n) => ({ source: n.ip }))));
              await iptablesRestore(addChainInput(chain, others), node.pid);
              applied.push(node.pid);
            }),
          ),
        );
      } catch (err) {
        await remove().catch(() => undefined);
        throw err;
      }
      return cut;
    },
    async removeAll() {
      const results = await Promise.allSettled([...live].map((c) => c.remove()));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
