/**
 * The path from the test process to each node, with faults on demand (`networkFaults: true`):
 * a small TCP proxy per node in the test process (127.0.0.1, a free port), which the address
 * table that every client of the fixture (and `rc.natMap`) reads points to. Each proxy connects
 * to where the node is reached now (the fixture's own table, which follows a restart), and can
 * delay what it forwards, drop it (blackhole), or cut its open connections (reset). The
 * fixture's own plain connections (health, fault helpers) go straight to the nodes.
 */
import net from 'node:net';
import { announcedAddress, InvalidOptionError, type ClusterPlan } from '@redis-cluster-kit/plan';
import type { PhaseLog } from '../util/log';
import { AddressTable } from './address-table';

/** The path from the test process to one node: `rc.link(name)`. */
export interface NetworkLink {
  /** The node's name. */
  readonly node: string;
  /** Delay every chunk either way by `ms` (plus a random 0-`jitterMs`), in order; new and open connections alike. */
  delay(ms: number, jitterMs?: number): Promise<void>;
  /** Accept nothing, answer nothing: what either side sends is dropped (new connections open, then stay silent) until restore(). */
  blackhole(): Promise<void>;
  /** Cut every open connection once (a TCP reset, as a load balancer does); new connections work. */
  reset(): Promise<void>;
  /** Back to a plain path; connections that lost bytes to a blackhole are cut (their stream is broken). */
  restore(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  /** A chunk was dropped (blackhole): the stream is broken. */
  broken: boolean;
  /** When the last delayed chunk of each direction goes out (keeps the order). */
  lastOut: { up: number; down: number };
}

/** One node's proxy. */
class LinkProxy {
  delayMs = 0;
  jitterMs = 0;
  blackholed = false;
  readonly pairs = new Set<Pair>();

  constructor(
    readonly server: net.Server,
    private readonly target: () => { host: string; port: number },
  ) {
    server.on('connection', (client) => this.#accept(client));
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  #accept(client: net.Socket): void {
    let target: { host: string; port: number };
    try {
      target = this.target();
    } catch {
      client.destroy();
      return;
    }
    const upstream = net.connect(target);
    const pair: Pair = { client, upstream, broken: false, lastOut: { up: 0, down: 0 } };
    this.pairs.add(pair);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => this.#forward(pair, chunk, upstream, 'up'));
    upstream.on('data', (chunk: Buffer) => this.#forward(pair, chunk, client, 'down'));
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
      s.on('end', end);
    }
  }

  #forward(pair: Pair, chunk: Buffer, to: net.Socket, way: 'up' | 'down'): void {
    if (this.blackholed) {
      pair.broken = true;
      return;
    }
    if (this.delayMs === 0 && this.jitterMs === 0 && pair.lastOut[way] <= performance.now()) {
      to.write(chunk);
      return;
    }
    const now = performance.now();
    const at = Math.max(now + this.delayMs + Math.random() * this.jitterMs, pair.lastOut[way]);
    pair.lastOut[way] = at;
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk);
    }, at - now).unref();
  }

  cut(which: (pair: Pair) => boolean): number {
    let n = 0;
    for (const pair of [...this.pairs]) {
      if (!which(pair)) continue;
      n++;
      this.pairs.delete(pair);
      pair.client.resetAndDestroy();
      pair.upstream.destroy();
    }
    return n;
  }
}

/** The proxies of one cluster's nodes. */
export class LinkProxies {
  /** Announced address -> the proxy's address: what the fixture's clients read. */
  readonly table = new AddressTable();
  readonly #proxies: ReadonlyMap<string, LinkProxy>;
  readonly #log: PhaseLog;

  private constructor(proxies: Map<string, LinkProxy>, plan: ClusterPlan, log: PhaseLog) {
    this.#proxies = proxies;
    this.#log = log;
    for (const node of plan.nodes) {
      this.table.set(announcedAddress(plan, node), { host: '127.0.0.1', port: proxies.get(node.name)!.port });
    }
  }

  /** A proxy per node of `plan`, to where `nodes` (the fixture's own table) says each is reached. */
  static async open(plan: ClusterPlan, nodes: AddressTable, log: PhaseLog): Promise<LinkProxies> {
    const proxies = new Map<string, LinkProxy>();
    try {
      for (const node of plan.nodes) {
        const announced = announcedAddress(plan, node);
        const server = net.createServer({ noDelay: true });
        const proxy = new LinkProxy(server, () => {
          const at = nodes.get(announced);
          if (!at) throw new Error(`No address known for node "${announced}"`);
          return at;
        });
        proxies.set(node.name, proxy);
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve());
        });
      }
    } catch (err) {
      await Promise.all([...proxies.values()].map((p) => closeServer(p)));
      throw err;
    }
    return new LinkProxies(proxies, plan, log);
  }

  /** The link to node `name` (known to the plan: the caller checked). */
  link(name: string): NetworkLink {
    const proxy = this.#proxies.get(name)!;
    const log = (message: string) => this.#log.event('fault', `link "${name}": ${message}`);
    return {
      node: name,
      delay: async (ms, jitterMs = 0) => {
        for (const [option, value] of [
          ['ms', ms],
          ['jitterMs', jitterMs],
        ] as const) {
          if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
            throw new InvalidOptionError(option, value, 'a number of milliseconds, 0 or more', 'Invalid delay');
          }
        }
        proxy.delayMs = ms;
        proxy.jitterMs = jitterMs;
        await Promise.resolve();
        log(`delay ${ms} ms${jitterMs > 0 ? ` + up to ${jitterMs} ms jitter` : ''}`);
      },
      blackhole: async () => {
        proxy.blackholed = true;
        await Promise.resolve();
        log('blackhole');
      },
      reset: async () => {
        const n = proxy.cut(() => true);
        await Promise.resolve();
        log(`reset ${n} open connection${n === 1 ? '' : 's'}`);
      },
      restore: async () => {
        await Promise.resolve();
        this.#restore(name, proxy);
      },
    };
  }

  /** Is any link delayed or blackholed? */
  get faulty(): boolean {
    return [...this.#proxies.values()].some((p) => p.blackholed || p.delayMs > 0 || p.jitterMs > 0);
  }

  /** Every link back to a plain path (heal, recycle). */
  restoreAll(): void {
    for (const [name, proxy] of this.#proxies) {
      if (proxy.blackholed || proxy.delayMs > 0 || proxy.jitterMs > 0) this.#restore(name, proxy);
    }
  }

  /** Close every proxy and its connections (stop). */
  async close(): Promise<void> {
    await Promise.all([...this.#proxies.values()].map((p) => closeServer(p)));
  }

  #restore(name: string, proxy: LinkProxy): void {
    proxy.delayMs = 0;
    proxy.jitterMs = 0;
    proxy.blackholed = false;
    const n = proxy.cut((pair) => pair.broken);
    this.#log.event('fault', `link "${name}": restored${n > 0 ? ` (cut ${n} connections that lost bytes)` : ''}`);
  }
}

function closeServer(proxy: LinkProxy): Promise<void> {
  proxy.cut(() => true);
  return new Promise((resolve) => {
    if (!proxy.server.listening) resolve();
    else proxy.server.close(() => resolve());
  });
}
