/**
 * Ports of the process runtime. A node's real port must be the plan's port (a replica
 * replicates from the port its master announces, and nodes meet at their bus ports), so the
 * runtime picks the plan's `basePort`: a block of free client ports and the block of bus ports
 * 10000 above it, all on 127.0.0.1 and below Linux's ephemeral range (32768-60999), where the
 * kernel picks ports for outgoing connections and Docker for published ones.
 *
 * Client ports come from 12000-21999 and bus ports from 22000-31999, so a client port of one
 * cluster is never the bus port of another. Blocks held by clusters of this process or of other
 * live processes (their owner files) are skipped; the rest are probed by binding them.
 */
import { createServer } from 'node:net';

/** An inclusive range of ports. */
export interface PortRange {
  start: number;
  end: number;
}

/** Where the process runtime picks client ports; bus ports are {@link PROCESS_BUS_PORT_OFFSET} higher. */
export const PROCESS_CLIENT_PORTS: Readonly<PortRange> = Object.freeze({ start: 12000, end: 21999 });
/** Redis's own convention, and what the plan uses by default. */
export const PROCESS_BUS_PORT_OFFSET = 10000;
/** How many blocks are probed before giving up (each one found taken is skipped next time). */
const MAX_PROBES = 64;

/** The client ports and the bus ports of a block: two ranges. */
export function blockRanges(base: number, count: number, busPortOffset = PROCESS_BUS_PORT_OFFSET): PortRange[] {
  return [
    { start: base, end: base + count - 1 },
    { start: base + busPortOffset, end: base + busPortOffset + count - 1 },
  ];
}

/** `12000-12005` / `12000`. */
export function describeRange(range: PortRange): string {
  return range.start === range.end ? String(range.start) : `${range.start}-${range.end}`;
}

/**
 * The bases a block of `count` nodes may start at: inside `within`, and with neither its client
 * nor its bus ports in any `reserved` range. Sorted, disjoint, inclusive ranges of bases.
 */
export function allowedBases(
  count: number,
  reserved: readonly PortRange[],
  within: PortRange = PROCESS_CLIENT_PORTS,
  busPortOffset = PROCESS_BUS_PORT_OFFSET,
): PortRange[] {
  let allowed: PortRange[] = [{ start: within.start, end: within.end - count + 1 }];
  if (allowed[0]!.end < allowed[0]!.start) return [];
  for (const r of reserved) {
    // A block [b, b + count - 1] overlaps r when b is in [r.start - count + 1, r.end]; its bus block likewise, shifted.
    for (const shift of [0, busPortOffset]) {
      const forbidden = { start: r.start - shift - count + 1, end: r.end - shift };
      allowed = allowed.flatMap((a) => {
        if (forbidden.end < a.start || forbidden.start > a.end) return [a];
        const left = { start: a.start, end: forbidden.start - 1 };
        const right = { start: forbidden.end + 1, end: a.end };
        return [left, right].filter((x) => x.end >= x.start);
      });
    }
  }
  return allowed;
}

/** A base drawn evenly from {@link allowedBases}, or undefined when there is none. `random` returns [0, 1). */
export function pickBase(
  count: number,
  reserved: readonly PortRange[],
  random: () => number = Math.random,
  within: PortRange = PROCESS_CLIENT_PORTS,
): number | undefined {
  const allowed = allowedBases(count, reserved, within);
  const total = allowed.reduce((sum, r) => sum + r.end - r.start + 1, 0);
  if (total === 0) return undefined;
  let n = Math.min(total - 1, Math.floor(random() * total));
  for (const r of allowed) {
    const size = r.end - r.start + 1;
    if (n < size) return r.start + n;
    n -= size;
  }
  return undefined;
}

/** Is `port` free on `host`? (A bind that succeeds, closed again at once.) */
export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * How the process runtime asks whether a port is free. An object, so that a test can stand in
 * for another process that takes a port right after it was found free (the race the start's
 * retry with other ports is for), which no real timing reproduces on demand.
 */
export const portProbe: { isFree: (port: number) => Promise<boolean> } = { isFree: (port) => portFree(port) };

/**
 * A base whose every client and bus port is free now. `reserve` is called with each candidate
 * before it is probed (and `release` when a port of it is taken), so that concurrent picks of
 * this process never probe the same block. Throws when no block is left.
 */
export async function chooseFreeBlock(options: {
  count: number;
  reserved: () => readonly PortRange[];
  reserve: (ranges: PortRange[]) => void;
  release: (ranges: PortRange[]) => void;
  isFree?: (port: number) => Promise<boolean>;
  random?: () => number;
}): Promise<number> {
  const isFree = options.isFree ?? portFree;
  const taken: PortRange[] = [];
  for (let probe = 0; probe < MAX_PROBES; probe++) {
    const base = pickBase(options.count, [...options.reserved(), ...taken], options.random);
    if (base === undefined) break;
    const ranges = blockRanges(base, options.count);
    options.reserve(ranges);
    const ports = ranges.flatMap((r) => Array.from({ length: r.end - r.start + 1 }, (_, i) => r.start + i));
    const free = await Promise.all(ports.map((p) => isFree(p)));
    const busy = ports.filter((_, i) => !free[i]);
    if (busy.length === 0) return base;
    options.release(ranges);
    taken.push(...busy.map((p) => ({ start: p, end: p })));
  }
  const client = PROCESS_CLIENT_PORTS;
  throw new Error(
    `No block of ${options.count} free client ports in ${describeRange(client)} with free bus ports ${PROCESS_BUS_PORT_OFFSET} above them on 127.0.0.1 ` +
      `(${taken.length} ports found taken): free some, or give basePort`,
  );
}
