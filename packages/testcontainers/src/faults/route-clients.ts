/**
 * The last step of every fault helper that changes who serves the slots: every client the
 * fixture made routes to the current owners, proved (cluster/routing.ts), before it resolves.
 */
import { routeClientsToOwners, type ReachNode } from '../cluster/routing';
import type { NodeState } from './node-state';
import { FAULT_POLL_MS } from './observe';

/**
 * Route every open client of the fixture (`rc.cluster` and each `createClient()`) to the
 * owners of the slots as the running nodes see them. `until` is the `performance.now()` the
 * helper's own deadline ends at; `limit` names it in the error (which helper, how many ms, how to raise it).
 */
export async function routeFixtureClients(state: NodeState, until: number, limit: string): Promise<void> {
  const clients = state.clients();
  if (clients.length === 0) return;
  const t0 = performance.now();
  const reach: ReachNode = (id) => {
    const name = state.names.get(id);
    const target = name === undefined ? undefined : state.clientTable.get(state.announced(name));
    return name === undefined || target === undefined ? undefined : { name, address: `${target.host}:${target.port}` };
  };
  const running = () => state.running().map((n) => ({ name: n.planned.name, admin: n.admin }));
  const owners = await routeClientsToOwners(clients, running, reach, {
    until,
    answerTimeoutMs: state.timeouts.nodeAnswerTimeoutMs,
    intervalMs: FAULT_POLL_MS,
    limit,
  });
  if (owners === undefined) return;
  state.log.event(
    'fault',
    `${clients.length} client${clients.length === 1 ? '' : 's'} routed to the ${owners.masters.length} masters`,
    performance.now() - t0,
  );
}
