/** Where the test process reaches something: a host and a port. */
export interface HostPort {
  host: string;
  port: number;
}

/** `natMap` / `nodeAddressMap` as a plain object: `{ "redis-node-1:7101": { host: "127.0.0.1", port: 32768 } }`. */
export type NatMapObject = Record<string, HostPort>;

/**
 * The one live table from an announced address (`name:port`, what nodes put in CLUSTER SLOTS,
 * MOVED and ASK) to the address the test process reaches it at (`127.0.0.1:<published port>`).
 *
 * Every client made by the fixture reads it through {@link AddressTable.natMap}, so when a
 * container restarts with a new host port, updating this table is enough.
 */
export class AddressTable {
  readonly #entries = new Map<string, HostPort>();

  /** Map an announced address to where it is reached now (adds or replaces). */
  set(announced: string, target: HostPort): void {
    if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) {
      throw new RangeError(`Cannot map "${announced}" to port ${target.port}: not a TCP port`);
    }
    this.#entries.set(announced, { host: target.host, port: target.port });
  }

  /** Where an announced address is reached, or undefined if the fixture does not know it. */
  get(announced: string): HostPort | undefined {
    const found = this.#entries.get(announced);
    return found === undefined ? undefined : { ...found };
  }

  delete(announced: string): boolean {
    return this.#entries.delete(announced);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** A copy of the table now, as an object (usable as ioredis `natMap` or node-redis `nodeAddressMap`). */
  snapshot(): NatMapObject {
    const out: NatMapObject = {};
    for (const [key, value] of this.#entries) out[key] = { ...value };
    return out;
  }

  /**
   * The table as an ioredis natMap function: reads the table at every lookup, so it follows
   * later changes. Unknown addresses go to `fallback` (the user's own natMap), else null
   * (ioredis then uses the address as it is).
   */
  natMap(fallback?: NatMapObject | ((key: string) => HostPort | null | undefined)): (key: string) => HostPort | null {
    return (key: string) => {
      const found = this.get(key);
      if (found) return found;
      if (typeof fallback === 'function') return fallback(key) ?? null;
      if (fallback && Object.prototype.hasOwnProperty.call(fallback, key)) {
        const hp = fallback[key]!;
        return { host: hp.host, port: hp.port };
      }
      return null;
    };
  }
}
