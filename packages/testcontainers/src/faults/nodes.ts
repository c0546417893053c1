/**
 * Stopping, starting, pausing and unpausing single nodes, through the runtime's NodeRuntime
 * (containers, or redis-server processes): what a test does to make the cluster fail over.
 */
import { InvalidOptionError } from '@redis-cluster-kit/plan';
import { openAdminConnection } from '../cluster/admin';
import { DEFAULT_FIXTURE_OPTIONS, faultLimit, type StartNodeOptions, type StopNodeOptions } from '../options';
import { withTimeout } from '../util/timing';
import { waitUntil } from '../util/wait-until';
import type { NodeState } from './node-state';
import { FAULT_POLL_MS, waitForClusterOk } from './observe';

export async function stopNode(state: NodeState, name: string, options: StopNodeOptions = {}): Promise<void> {
  const node = state.node(name);
  const runtime = state.requireRuntime('stopNode');
  const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_FIXTURE_OPTIONS.stopTimeoutSeconds;
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 0) {
    throw new InvalidOptionError('timeoutSeconds', timeoutSeconds, 'a whole number of seconds, 0 or more');
  }
  state.requireRunning(name, 'stop');
  const t0 = performance.now();
  state.down.set(name, 'stopped');
  try {
    await runtime.stop(name, timeoutSeconds);
  } catch (err) {
    state.down.delete(name);
    throw err;
  }
  // Its port is gone: no reconnect attempts until startNode opens a connection to the new one.
  node.admin.redis.disconnect(false);
  state.log.event('fault', `stopped node "${name}"`, performance.now() - t0);
}

export async function startNode(state: NodeState, name: string, options: StartNodeOptions = {}): Promise<void> {
  const node = state.node(name);
  const runtime = state.requireRuntime('startNode');
  const down = state.down.get(name);
  if (down !== 'stopped') {
    throw new Error(`Cannot start node "${name}": it is ${down === 'paused' ? 'paused (use unpauseNode)' : 'running'}`);
  }
  const timeoutMs = options.timeoutMs ?? state.timeouts.faultTimeoutMs;
  const t0 = performance.now();
  const { port, internalIp } = await runtime.start(name);
  // The container has a new published port: update the one table every client reads, and
  // reconnect the fixture's own connection there.
  const announced = state.announced(name);
  const host = state.table.get(announced)?.host ?? node.admin.endpoint.host;
  state.table.set(announced, { host, port });
  state.reachedAt({ host, port }, name);
  const old = node.admin;
  node.admin = openAdminConnection(
    { ...old.endpoint, host, port, internalIp },
    {
      access: state.access,
      answerTimeoutMs: old.answerTimeoutMs,
    },
  );
  old.redis.disconnect(false);
  state.down.delete(name);

  const id = await waitUntil(
    async () => String(await withTimeout(node.admin.redis.call('CLUSTER', 'MYID'), node.admin.answerTimeoutMs)),
    {
      timeoutMs,
      intervalMs: FAULT_POLL_MS,
      description: `node "${name}" to answer at ${host}:${port} after its restart, within ${faultLimit('startNode', timeoutMs)}`,
    },
  );
  if (id !== node.id) {
    throw new Error(
      `Node "${name}" came back with id ${id} instead of ${node.id}: its nodes.conf did not survive the restart`,
    );
  }
  state.log.event('fault', `started node "${name}" (now at ${host}:${port})`, performance.now() - t0);
  if (options.waitForClusterOk ?? true)
    await waitForClusterOk(state, { timeoutMs: Math.max(1, timeoutMs - (performance.now() - t0)) });
}

export async function pauseNode(state: NodeState, name: string): Promise<void> {
  state.node(name);
  const runtime = state.requireRuntime('pauseNode');
  state.requireRunning(name, 'pause');
  state.down.set(name, 'paused');
  try {
    await runtime.pause(name);
  } catch (err) {
    state.down.delete(name);
    throw err;
  }
  state.log.event('fault', `paused node "${name}"`);
}

export async function unpauseNode(state: NodeState, name: string, options: StartNodeOptions = {}): Promise<void> {
  state.node(name);
  const runtime = state.requireRuntime('unpauseNode');
  const down = state.down.get(name);
  if (down !== 'paused') throw new Error(`Cannot unpause node "${name}": it is ${down ?? 'running'}`);
  await runtime.unpause(name);
  state.down.delete(name);
  state.log.event('fault', `unpaused node "${name}"`);
  if (options.waitForClusterOk ?? true) await waitForClusterOk(state, options);
}
