/**
 * failover(): promote a replica with CLUSTER FAILOVER (`default`, `force` or `takeover`) and wait
 * until every running node agrees.
 */
import { InvalidOptionError } from '@redis-cluster-kit/plan';
import { parseInfo } from '../cluster/replies';
import { FAILOVER_MODES, faultLimit, type FailoverMode, type FailoverOptions } from '../options';
import { withTimeout } from '../util/timing';
import { waitUntil, WaitTimeoutError } from '../util/wait-until';
import type { NodeState } from './node-state';
import { clusterNodesOfRunning, describeRanges, FAULT_POLL_MS, readTopology } from './observe';

/** Redis aborts a manual failover after 5 s (CLUSTER_MF_TIMEOUT); failover() asks again after this long. */
const MANUAL_FAILOVER_RETRY_MS = 6000;

export interface FailoverResult {
  newMaster: string;
  oldMaster: string;
  mode: FailoverMode;
  /** From CLUSTER FAILOVER to every running node agreeing. */
  durationMs: number;
}

/**
 * Promote the replica `replicaName` with CLUSTER FAILOVER [FORCE|TAKEOVER] and resolve when
 * every running node sees it as the master of its former master's slots.
 */
export async function failover(
  state: NodeState,
  replicaName: string,
  options: FailoverOptions = {},
): Promise<FailoverResult> {
  const mode = options.mode ?? 'default';
  if (!(FAILOVER_MODES as readonly string[]).includes(mode)) {
    throw new InvalidOptionError('mode', mode, `one of ${FAILOVER_MODES.map((m) => `"${m}"`).join(', ')}`);
  }
  const replica = state.node(replicaName);
  state.requireRunning(replicaName, 'fail over to');
  const timeoutMs = options.timeoutMs ?? state.timeouts.faultTimeoutMs;
  const topology = await readTopology(state, { from: replicaName });
  const self = topology.node(replicaName);
  if (self.role !== 'replica' || self.masterId === undefined) {
    const replicas = topology.nodes.filter((n) => n.role === 'replica').map((n) => n.name);
    throw new Error(
      `Cannot fail over to "${replicaName}": it is a master. Name a replica: ${replicas.join(', ') || 'there is none'}`,
    );
  }
  const master = topology.nodes.find((n) => n.id === self.masterId);
  const masterName = master?.name ?? self.masterId;
  const masterState = state.down.get(masterName);
  if (mode === 'default' && masterState !== undefined) {
    throw new Error(
      `Cannot fail over to "${replicaName}" in mode "default": its master "${masterName}" is ${masterState} and must answer. ` +
        'Use mode "force" (no handshake with the master) or "takeover" (no vote of the other masters either)',
    );
  }
  const slots = describeRanges(master?.slots ?? []);
  const t0 = performance.now();
  if (mode === 'default') {
    // A default failover waits for the replica to have everything its master wrote; a replica
    // still (re)syncing (e.g. right after an earlier failover) would see it aborted after 5 s.
    await waitUntil(
      async () => {
        const repl = parseInfo(
          String(await withTimeout(replica.admin.redis.call('INFO', 'replication'), replica.admin.answerTimeoutMs)),
        );
        return repl['master_link_status'] === 'up' && repl['master_sync_in_progress'] === '0';
      },
      {
        timeoutMs,
        intervalMs: FAULT_POLL_MS,
        description: `replica "${replicaName}" to be in sync with "${masterName}" (a default failover needs it)`,
      },
    );
  }
  const command = ['FAILOVER', ...(mode === 'default' ? [] : [mode.toUpperCase()])];
  await replica.admin.redis.call('CLUSTER', ...command);
  let sent = performance.now();
  const oldMasterRuns = master !== undefined && !state.down.has(master.name);
  let lagging = '';
  try {
    await waitUntil(
      async () => {
        const views = await clusterNodesOfRunning(state);
        for (const view of views) {
          const entry = view.entries?.find((e) => e.id === replica.id);
          if (!entry) {
            lagging = `node "${view.name}" ${view.error ? `does not answer (${view.error})` : 'does not know it'}`;
            return false;
          }
          if (!entry.flags.includes('master') || describeRanges(entry.slots) !== slots) {
            lagging = `node "${view.name}" sees it as ${entry.flags.includes('master') ? `master of ${describeRanges(entry.slots) || 'no slots'}` : 'a replica'}`;
            if (
              view.name === replicaName &&
              !entry.flags.includes('master') &&
              performance.now() - sent > MANUAL_FAILOVER_RETRY_MS
            ) {
              // Redis gives up a manual failover silently after 5 s (e.g. votes lost on a busy machine): ask again.
              await replica.admin.redis.call('CLUSTER', ...command);
              sent = performance.now();
            }
            return false;
          }
          // The old master, when it runs, follows the new one (everyone must have heard it).
          const old = oldMasterRuns ? view.entries?.find((e) => e.id === master.id) : undefined;
          if (old && (!old.flags.includes('slave') || old.masterId !== replica.id)) {
            lagging = `node "${view.name}" does not see "${master!.name}" as its replica yet`;
            return false;
          }
        }
        return true;
      },
      { timeoutMs, intervalMs: FAULT_POLL_MS, description: `the failover to "${replicaName}"` },
    );
  } catch (err) {
    if (err instanceof WaitTimeoutError) {
      throw new Error(
        `Failover to "${replicaName}" (mode "${mode}") did not complete within ${faultLimit('failover', timeoutMs)}: ${lagging}, expected master of ${slots || 'no slots'}`,
      );
    }
    throw err;
  }
  const durationMs = performance.now() - t0;
  state.log.event('fault', `failover to "${replicaName}" (${mode}) from "${masterName}"`, durationMs);
  return { newMaster: replicaName, oldMaster: masterName, mode, durationMs };
}
