/** Making and closing the ioredis Cluster clients the fixture hands out. */
import { Cluster, type ClusterOptions } from 'ioredis';
import type { AddressTable, HostPort } from './address-table';
import { accessOptions, type NodeAccess } from '../security';
import { withTimeout } from '../util/timing';

/**
 * Options for a client: ours, then the cluster-wide `clusterOptions`, then this call's `options`.
 * The fixture's address table always answers first; a user `natMap` only sees addresses it does not know.
 */
export function clientOptions(
  table: AddressTable,
  access: NodeAccess,
  base: ClusterOptions,
  options: ClusterOptions = {},
): ClusterOptions {
  const userNatMap = options.natMap ?? base.natMap;
  const redisOptions = {
    ...accessOptions(access),
    ...base.redisOptions,
    ...options.redisOptions,
  };
  return { ...base, ...options, redisOptions, natMap: table.natMap(userNatMap) };
}

/** Resolve when the client emits `ready`; reject if it ends first or `signal` aborts. */
export function clientReady(cluster: Cluster, signal?: AbortSignal): Promise<void> {
  if (cluster.status === 'ready') return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    let lastError: Error | undefined;
    const onError = (err: Error) => {
      lastError = err;
    };
    const onReady = () => done(() => resolve());
    const onEnd = () => done(() => reject(lastError ?? new Error('the cluster client closed before it was ready')));
    const onAbort = () => done(() => reject(signal!.reason));
    function done(settle: () => void) {
      cluster.off('ready', onReady);
      cluster.off('end', onEnd);
      cluster.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
      settle();
    }
    cluster.on('error', onError);
    cluster.once('ready', onReady);
    cluster.once('end', onEnd);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * QUIT politely (bounded), wait for the client to end, and only if it does not, drop its
 * sockets. (Calling disconnect() right after quit() makes ioredis drain its pool twice and
 * leaves the status at `close` instead of `end`.) Leaves no timer or socket behind, also with
 * `slotsRefreshInterval` (see {@link stopSlotsRefreshTimer}).
 */
export async function closeClient(cluster: Cluster, timeoutMs = 1000): Promise<void> {
  if (cluster.status === 'end') {
    stopSlotsRefreshTimer(cluster);
    return;
  }
  const ended = new Promise<void>((resolve) => cluster.once('end', () => resolve()));
  try {
    await withTimeout(cluster.quit(), timeoutMs);
    await withTimeout(ended, timeoutMs);
  } catch {
    // A node is gone or does not answer: close whatever is left without waiting for it.
    if ((cluster.status as string) !== 'end') cluster.disconnect();
    await withTimeout(ended, timeoutMs).catch(() => undefined);
  }
  stopSlotsRefreshTimer(cluster);
}

/** The parts of an ioredis 6.0.0 Cluster that {@link stopSlotsRefreshTimer} works around (private in its types). */
interface SlotsRefreshInternals {
  isRefreshing?: boolean;
  clearNodesRefreshInterval?: () => void;
}

/**
 * Make sure a closed client's `slotsRefreshInterval` timer is gone for good. ioredis 6.0.0
 * clears the timer on disconnect, but a refresh in flight at that moment calls back into its
 * next round, which sets the timer again; every later round fails ("Cluster is disconnected")
 * and sets it again, for ever, and a timer that is never cleared keeps Jest from exiting. So,
 * once the client has ended: clear the timer, and if a refresh is still in flight, clear it
 * again after that refresh's own callback (callbacks run in the order they were queued, and
 * the timer's round was queued first). After `end` nothing else starts a refresh.
 */
export function stopSlotsRefreshTimer(cluster: Cluster): void {
  const internals = cluster as unknown as SlotsRefreshInternals;
  const clear = () => internals.clearNodesRefreshInterval?.();
  clear();
  if (internals.isRefreshing) cluster.refreshSlotsCache(() => clear());
}

/** Startup nodes whose host and port are read from the live table whenever ioredis (re)connects. */
export function liveStartupNodes(table: AddressTable, announced: readonly string[]): HostPort[] {
  return announced.map((key) => {
    const fallback = table.get(key);
    if (!fallback) throw new Error(`No address known for node "${key}"`);
    return {
      get host() {
        return (table.get(key) ?? fallback).host;
      },
      get port() {
        return (table.get(key) ?? fallback).port;
      },
    };
  });
}
