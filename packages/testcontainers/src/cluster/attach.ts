/**
 * Attaching to a cluster that is formed already (one a previous start kept for reuse, or one
 * another process started): a plain connection to every node at the address the test process
 * reaches it at, the address table for the clients, and (for a kept one) one health poll that
 * says whether it is still the cluster of the plan.
 */
import { announcedAddress, type ClusterPlan } from '@redis-cluster-kit/plan';
import { closeAdminConnections, openAdminConnection, type AdminConnection } from './admin';
import type { NodeAccess } from '../security';
import { AddressTable, type HostPort } from './address-table';
import { checkHealth, readyExpectation } from './health';

/** The connections to a formed cluster's nodes, and where the test process reaches each one. */
export interface NodeConnections {
  table: AddressTable;
  admins: Map<string, AdminConnection>;
}

/**
 * A connection to each node of `plan`, at the address `reach` gives for it, and the address
 * table (announced address -> that address). Connections are lazy: nothing is sent yet.
 */
export function connectNodes(
  plan: ClusterPlan,
  reach: ReadonlyMap<string, HostPort>,
  access: NodeAccess,
): NodeConnections {
  const table = new AddressTable();
  const admins = new Map<string, AdminConnection>();
  for (const node of plan.nodes) {
    const at = reach.get(node.name);
    if (!at) throw new Error(`No address known for node "${node.name}"`);
    table.set(announcedAddress(plan, node), at);
    // The internal IP is only needed to form a cluster; this one is formed already.
    admins.set(
      node.name,
      openAdminConnection({ name: node.name, host: at.host, port: at.port, internalIp: '' }, { access }),
    );
  }
  return { table, admins };
}

/**
 * Connect to a formed cluster and check, in one poll, that it is still the cluster the plan
 * describes (a previous run may have failed a master over, or stopped a node). Undefined if
 * it is not (its connections closed): the caller then removes it and starts a fresh one.
 */
export async function attachFormed(
  plan: ClusterPlan,
  reach: ReadonlyMap<string, HostPort>,
  access: NodeAccess,
): Promise<(NodeConnections & { ids: Map<string, string> }) | undefined> {
  const { table, admins } = connectNodes(plan, reach, access);
  try {
    const ids = new Map(
      await Promise.all(
        plan.nodes.map(async (n) => [n.name, String(await admins.get(n.name)!.redis.call('CLUSTER', 'MYID'))] as const),
      ),
    );
    const verdict = await checkHealth(
      plan.nodes.map((n) => ({ name: n.name, admin: admins.get(n.name) })),
      readyExpectation(plan, ids),
    );
    if (!verdict.ok) {
      closeAdminConnections(admins.values());
      return undefined;
    }
    return { table, admins, ids };
  } catch {
    closeAdminConnections(admins.values());
    return undefined;
  }
}
