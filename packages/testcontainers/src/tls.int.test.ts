/**
 * startRedisCluster({ tls: true }) on every runtime: nodes speak TLS only (clients, cluster bus,
 * replication), the fixture's clients and node-redis (with rc.tls.ca through nodeAddressMap)
 * follow MOVED and ASK over TLS, a failover works, a worker connects from connectionInfo(), a
 * plain client or one without the CA fails, and no private key reaches a log, argv or a file
 * other than the node's own key file (mode 0600).
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createCluster } from 'redis';
import { createClusterCertificates } from '@redis-cluster-kit/plan';
import {
  connectToCluster,
  keyForSlot,
  LABELS,
  parseConnectionInfo,
  startRedisCluster,
  type StartedRedisCluster,
} from './index';
import { docker, labelled } from '../test/helpers/docker';
import { NOTHING, processDirs, resourcesOfThisProcess, RUNTIMES } from '../test/helpers/runtimes';
import { captureDebugLog } from '../test/helpers/debug-log';

jest.setTimeout(120_000);

const logged = captureDebugLog(); // everything DEBUG=redis-cluster-kit:* would print, with the logger hook's lines

async function streamToBuffer(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

/** The base64 body of a PEM private key, line by line (what a leak would show). */
const keyLines = (pem: string) => pem.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'));

describe.each(RUNTIMES)('%s runtime', (runtime) => {
  describe('startRedisCluster({ tls: true, masters: 3, replicas: 1 })', () => {
    let rc: StartedRedisCluster;

    beforeAll(async () => {
      logged.length = 0;
      rc = await startRedisCluster({
        runtime,
        masters: 3,
        replicas: 1,
        tls: true,
        logger: (e) => logged.push(`${e.phase} ${e.message}`),
      });
    });

    afterAll(async () => {
      await rc?.stop();
      expect(await resourcesOfThisProcess(runtime)).toEqual(NOTHING);
    });

    it('serves TLS only (port 0, tls-port, bus and replication over TLS), and the fixture client writes to every master', async () => {
      const admin = new Redis({ host: rc.nodes[0]!.host, port: rc.nodes[0]!.port, tls: rc.tls, lazyConnect: true });
      try {
        const config = (await admin.call('CONFIG', 'GET', 'tls-*')) as string[];
        const get = (name: string) => config[config.indexOf(name) + 1];
        expect([get('tls-port'), get('tls-cluster'), get('tls-replication')]).toEqual([
          String(rc.plan.nodes[0]!.port),
          'yes',
          'yes',
        ]);
        expect(await admin.call('CONFIG', 'GET', 'port')).toEqual(['port', '0']);
        // Replicas replicate over TLS: their link is up.
        const replica = rc.nodes.find((n) => n.role === 'replica')!;
        const replicaClient = new Redis({ host: replica.host, port: replica.port, tls: rc.tls, lazyConnect: true });
        try {
          expect(await replicaClient.info('replication')).toContain('master_link_status:up');
        } finally {
          replicaClient.disconnect();
        }
      } finally {
        admin.disconnect();
      }
      for (const shard of rc.plan.shards) {
        const key = keyForSlot(shard.slots.start, ':tls');
        await rc.cluster.set(key, 'v');
        expect(await rc.cluster.get(key)).toBe('v');
      }
    });

    it('refuses a plain client, and a TLS client that does not trust the CA', async () => {
      const { host, port } = rc.nodes[0]!;
      const plain = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      plain.on('error', () => undefined);
      await expect(plain.ping()).rejects.toThrow();
      plain.disconnect();
      const untrusting = new Redis({
        host,
        port,
        tls: {},
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      let tlsError: Error | undefined;
      untrusting.on('error', (err: Error) => (tlsError ??= err));
      await expect(untrusting.ping()).rejects.toThrow();
      untrusting.disconnect();
      expect(tlsError?.message).toMatch(/self[- ]signed certificate in certificate chain|unable to (get|verify)/);
    });

    it('node-redis with rc.tls.ca through nodeAddressMap follows MOVED and ASK over TLS', async () => {
      const ca = rc.tls!.ca;
      const client = createCluster({
        rootNodes: rc.startupNodes.map(({ host, port }) => ({ socket: { host, port, tls: true as const, ca } })),
        defaults: { socket: { tls: true as const, ca } },
        nodeAddressMap: rc.natMap,
      });
      client.on('error', () => undefined);
      await client.connect();
      try {
        const shard = rc.plan.shards[0]!;
        const slot = shard.slots.start;
        const key = keyForSlot(slot, ':node-redis');
        await client.set(key, 'before');
        // The slot moves to the second master: node-redis's slot map is stale, its next command meets MOVED.
        const target = rc.plan.shards[1]!.master.name;
        await rc.migrateSlot(slot, target);
        expect(await client.get(key)).toBe('before');
        await client.set(key, 'after');
        expect(await rc.cluster.get(key)).toBe('after');
        // Half-way back: the key is on the first master, the slot still on the second, so GET meets ASK.
        await rc.migrateSlot(slot, shard.master.name, { finish: false, keys: [key] });
        expect(await rc.cluster.get(key)).toBe('after');
        expect(await client.get(key)).toBe('after');
        await rc.finishMigration(slot);
      } finally {
        client.destroy();
      }
    });

    it('hands a worker what it needs (connectionInfo carries the CA, client certificate and key)', async () => {
      const info = rc.connectionInfo();
      expect(info.tls).toEqual(rc.tls);
      const worker = await connectToCluster(parseConnectionInfo(JSON.stringify(info)));
      try {
        await worker.cluster.set('{worker}:k', 'w');
        expect(await rc.cluster.get('{worker}:k')).toBe('w');
      } finally {
        await worker.stop();
      }
    });

    it('fails a master over to its replica over TLS', async () => {
      const result = await rc.failover('redis-node-4');
      expect(result.newMaster).toBe('redis-node-4');
      await rc.cluster.set(keyForSlot(rc.plan.shards[0]!.slots.end, ':after-failover'), 'x');
    });

    it('keeps the private keys in the nodes key files only (mode 0600): not in argv, not in any log line', async () => {
      const tls = rc.tls!;
      expect(keyLines(tls.key).length).toBeGreaterThan(0);
      if (runtime === 'docker') {
        const [container] = (await labelled(LABELS.cluster, rc.id)).containers;
        const name = (await docker.getContainer(container!).inspect()).Config.Labels[LABELS.node]!;
        // The image has no stat or cat: the file as Docker's archive API gives it (one tar entry).
        const tar = await streamToBuffer(
          await docker.getContainer(container!).getArchive({ path: `/data/tls/${name}.key` }),
        );
        expect(parseInt(tar.subarray(100, 107).toString(), 8) & 0o777).toBe(0o600); // the tar header's mode field
        const key = tar.subarray(512, 512 + parseInt(tar.subarray(124, 135).toString(), 8)).toString();
        expect(key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
        const inspect = JSON.stringify(await docker.getContainer(container!).inspect());
        expect(inspect).not.toContain('PRIVATE KEY');
        for (const line of keyLines(key)) expect(inspect).not.toContain(line);
      } else {
        const dir = processDirs(`${rc.id}-`)[0]!;
        expect(statSync(join(dir, 'redis-node-1', 'redis-node-1.key')).mode & 0o777).toBe(0o600);
      }
      const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
      expect(ps).not.toContain('PRIVATE KEY');
      for (const line of keyLines(tls.key)) {
        expect(ps).not.toContain(line);
        expect(logged.filter((l) => l.includes(line))).toEqual([]);
      }
      expect(logged.some((l) => l.includes('redis-cluster-kit:'))).toBe(true); // DEBUG output was captured
      expect(logged.filter((l) => l.includes('PRIVATE KEY'))).toEqual([]);
    });
  });
});

describe('startRedisCluster({ tls: { ca, cert, key } }): your own certificates', () => {
  it('runs the nodes with them (process runtime)', async () => {
    const made = await createClusterCertificates(['redis-node-1']);
    const own = { ca: made.ca, ...made.nodes.get('redis-node-1')! };
    await using rc = await startRedisCluster({ runtime: 'process', masters: 1, tls: own });
    expect(rc.tls).toEqual(own);
    await rc.cluster.set('k', 'v');
    expect(await rc.cluster.get('k')).toBe('v');
  });
});
