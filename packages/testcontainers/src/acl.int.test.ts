/**
 * ACL users on every runtime: `users` are on every node, a limited user gets NOPERM for what its
 * rules deny, and with `defaultUser: false` a client that does not log in gets NOAUTH while the
 * fixture (its own user, its password made at start) still forms, resets, fails over, restarts a
 * node (the replica logs in to its master as the fixture's user) and recycles. No password
 * reaches a log line, a process's arguments or a container's configuration.
 */
import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import {
  connectToCluster,
  keyForSlot,
  LABELS,
  parseConnectionInfo,
  startRedisCluster,
  type StartedRedisCluster,
} from './index';
import { docker, labelled } from '../test/helpers/docker';
import { NOTHING, resourcesOfThisProcess, RUNTIMES } from '../test/helpers/runtimes';
import { captureDebugLog } from '../test/helpers/debug-log';

jest.setTimeout(120_000);

const logged = captureDebugLog(); // everything DEBUG=redis-cluster-kit:* would print

const APP = {
  name: 'app',
  password: `app-${Math.random().toString(36).slice(2)}-pw`,
  // A cluster client's user also needs CLUSTER SLOTS (ioredis reads the slot map with it).
  rules: '~app:* +@read +@write +cluster|slots +cluster|info',
};

describe.each(RUNTIMES)('%s runtime', (runtime) => {
  describe('startRedisCluster({ users: [app], defaultUser: false, masters: 3, replicas: 1 })', () => {
    let rc: StartedRedisCluster;

    beforeAll(async () => {
      logged.length = 0;
      rc = await startRedisCluster({
        runtime,
        masters: 3,
        replicas: 1,
        users: [APP],
        defaultUser: false,
        logger: (e) => logged.push(`${e.phase} ${e.message}`),
      });
    });

    /** `fn` on a connection to each node in turn, logged in as the fixture's user (the only one with ACL rights here). */
    async function onEveryNodeAsFixtureUser(fn: (own: Redis, node: string) => Promise<void>): Promise<void> {
      const { username, password } = rc.connectionInfo();
      for (const node of rc.nodes) {
        const own = new Redis({ host: node.host, port: node.port, username, password, lazyConnect: true });
        try {
          await fn(own, node.name);
        } finally {
          own.disconnect();
        }
      }
    }

    afterAll(async () => {
      await rc?.stop();
      expect(await resourcesOfThisProcess(runtime)).toEqual(NOTHING);
    });

    it('a user of `users` works through createClient() within its rules and gets NOPERM beyond them', async () => {
      const app = rc.createClient({
        redisOptions: { username: APP.name, password: APP.password },
        enableReadyCheck: false,
      });
      for (const shard of rc.plan.shards) {
        const key = `app:${keyForSlot(shard.slots.start)}`;
        await app.set(key, 'v');
        expect(await app.get(key)).toBe('v');
      }
      await expect(app.set('other:1', 'v')).rejects.toThrow(/^NOPERM/);
      await expect(app.call('CONFIG', 'GET', 'maxmemory')).rejects.toThrow(/^NOPERM/);
    });

    it('turns `default` off: a client that does not log in gets NOAUTH, on every node', async () => {
      for (const node of rc.nodes) {
        const anonymous = new Redis({
          host: node.host,
          port: node.port,
          lazyConnect: true,
          protocol: 2,
          maxRetriesPerRequest: 0,
        });
        anonymous.on('error', () => undefined);
        try {
          await expect(anonymous.get('app:1')).rejects.toThrow(/^NOAUTH/);
        } finally {
          anonymous.disconnect();
        }
      }
    });

    it('resets, fails over, restarts a replica (which logs in to its master as the fixture user) and recycles with its own user', async () => {
      const app = rc.createClient({
        redisOptions: { username: APP.name, password: APP.password },
        enableReadyCheck: false,
      });
      await app.set('app:before-reset', 'v');
      await rc.reset();
      expect(await app.get('app:before-reset')).toBeNull();
      await rc.failover('redis-node-4');
      await rc.stopNode('redis-node-1');
      await rc.startNode('redis-node-1');
      const node1 = rc.nodes.find((n) => n.name === 'redis-node-1')!;
      const info = rc.connectionInfo();
      const worker = new Redis({
        host: node1.host,
        port: node1.port,
        username: info.username,
        password: info.password,
        lazyConnect: true,
      });
      try {
        // redis-node-1 came back as the replica of redis-node-4 and synced with masteruser/masterauth.
        await rc.waitForClusterOk();
        const replication = await worker.info('replication');
        expect(replication).toContain('role:slave');
        expect(replication).toContain('master_link_status:up');
      } finally {
        worker.disconnect();
      }
      // A test widens `app` and adds a user of its own, on every node, as the fixture's user
      // (the only one allowed ACL SETUSER here): recycle() puts the start's users back.
      await onEveryNodeAsFixtureUser(async (own) => {
        await own.call('ACL', 'SETUSER', 'app', 'allkeys', '+@all');
        await own.call('ACL', 'SETUSER', 'intruder', 'on', '>intruder-pw', '~*', '+@all');
      });
      await expect(app.call('CONFIG', 'GET', 'maxmemory')).resolves.toBeDefined();
      const recycled = await rc.recycle();
      expect(recycled.restarted).toEqual([]);
      await onEveryNodeAsFixtureUser(async (own, node) => {
        expect({ node, users: ((await own.call('ACL', 'USERS')) as string[]).sort() }).toEqual({
          node,
          users: ['app', 'default', 'redis-cluster-kit'],
        });
      });
      // `app` has its own rules again, and its password still works.
      const after = rc.createClient({
        redisOptions: { username: APP.name, password: APP.password },
        enableReadyCheck: false,
      });
      await after.set(`app:${keyForSlot(0)}`, 'v');
      await expect(after.call('CONFIG', 'GET', 'maxmemory')).rejects.toThrow(/^NOPERM/);
    });

    it("hands a worker the fixture user's credentials (connectionInfo), and connectToCluster() uses them", async () => {
      const info = rc.connectionInfo();
      expect(info.username).toBe('redis-cluster-kit');
      expect(info.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
      const worker = await connectToCluster(parseConnectionInfo(JSON.stringify(info)));
      try {
        await worker.reset();
        // A worker's recycle() (a pool member's next holder) puts the start's users back too:
        // the info carries them, passwords hashed.
        expect(JSON.stringify(info.aclUsers)).not.toContain(APP.password);
        const node = rc.nodes[0]!;
        const own = new Redis({ host: node.host, port: node.port, username: info.username, password: info.password });
        try {
          await own.call('ACL', 'SETUSER', 'intruder', 'on', '>intruder-pw', '~*', '+@all');
          await worker.recycle();
          expect(((await own.call('ACL', 'USERS')) as string[]).sort()).toEqual([
            'app',
            'default',
            'redis-cluster-kit',
          ]);
        } finally {
          own.disconnect();
        }
      } finally {
        await worker.stop();
      }
    });

    it('keeps every password out of the logs (hook and DEBUG), process arguments and container configuration', async () => {
      const secrets = [APP.password, rc.connectionInfo().password!];
      expect(logged.some((l) => l.includes('redis-cluster-kit:'))).toBe(true); // DEBUG output was captured
      const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
      let config = '';
      if (runtime === 'docker') {
        for (const id of (await labelled(LABELS.cluster, rc.id)).containers) {
          config += JSON.stringify((await docker.getContainer(id).inspect()).Config);
        }
        expect(config).toContain('/data/secrets.conf');
      }
      for (const secret of secrets) {
        expect(logged.filter((l) => l.includes(secret))).toEqual([]);
        expect(ps).not.toContain(secret);
        expect(config).not.toContain(secret);
      }
    });
  });
});
