/**
 * The fixture's password never reaches a log line or an error message: not through the logger
 * hook, not through DEBUG=redis-cluster-kit:*, not through the errors of a start that fails.
 */
import { randomBytes } from 'node:crypto';
import { ClusterStartError, ClusterStartupTimeoutError, startRedisCluster, type ClusterLogEvent } from './index';
import { NOTHING, resourcesOfThisProcess, RUNTIMES } from '../test/helpers/runtimes';
import { captureDebugLog } from '../test/helpers/debug-log';

// A hang guard, not a measure: twice a start's own limit (startupTimeoutMs, 60 s by default).
jest.setTimeout(120_000);

const password = `Secret-${randomBytes(12).toString('base64url')}`;
const logged = captureDebugLog(); // everything DEBUG=redis-cluster-kit:* would print, with the logger hook's lines
const logger = (e: ClusterLogEvent) => logged.push(`${e.phase} ${e.message}`);

// On every runtime: the process runtime writes the password into each node's redis.conf (0600), nowhere else.
describe.each(RUNTIMES)('%s runtime', (runtime) => {
  afterEach(async () => {
    expect(await resourcesOfThisProcess(runtime)).toEqual(NOTHING);
  });

  describe('a cluster with a password', () => {
    it('logs every phase (hook and DEBUG) without the password, and its connection info holds it only for the workers', async () => {
      await using rc = await startRedisCluster({ runtime, masters: 1, replicas: 1, password, logger });
      await rc.cluster.set('k', 'v');
      await rc.reset();
      await rc.stopNode('redis-node-2');
      await rc.startNode('redis-node-2');
      expect(logged.filter((l) => l.startsWith('ready')).length).toBeGreaterThan(0);
      expect(logged.some((l) => l.includes('redis-cluster-kit:'))).toBe(true); // DEBUG output was captured
      expect(logged.filter((l) => l.includes(password))).toEqual([]);
      // What another process needs to connect (the Jest workers): the one place it is, on purpose.
      expect(rc.connectionInfo().password).toBe(password);
      expect(JSON.stringify(rc.nodes) + JSON.stringify(rc.natMap) + JSON.stringify(rc.startupNodes)).not.toContain(
        password,
      );
    });

    it('leaves it out of the error of a start that fails (a node refuses a directive) and of its log', async () => {
      logged.length = 0;
      const error = (await startRedisCluster({
        runtime,
        masters: 1,
        password,
        logger,
        redisConfig: { 'maxmemory-policy': 'not-a-policy' },
      }).catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(ClusterStartError);
      expect(error.message).toContain('FATAL CONFIG FILE ERROR');
      expect(error.message).not.toContain(password);
      expect(String(error.cause)).not.toContain(password);
      expect(logged.filter((l) => l.includes(password))).toEqual([]);
    });

    it('hides it where redis-server prints it back (a refused directive with the password as its value, quotes and backslash escaped)', async () => {
      // redis-server quotes the line it refuses: here that line holds the password, in the form
      // a config line or an argument escapes it ("\"" and "\\").
      const tricky = `Tricky-"pass\\word-${randomBytes(6).toString('hex')}`;
      const escaped = tricky.replace(/[\\"]/g, (c) => `\\${c}`);
      const error = (await startRedisCluster({
        runtime,
        masters: 1,
        password: tricky,
        redisConfig: { 'maxmemory-policy': tricky },
      }).catch((e: unknown) => e)) as Error & {
        cause: Error & { lastLines?: string[] };
      };
      expect(error).toBeInstanceOf(ClusterStartError);
      expect(error.message).toContain(`'maxmemory-policy "<hidden>"'`);
      const everything = [error.message, error.cause.message, ...(error.cause.lastLines ?? [])].join('\n');
      expect(everything).not.toContain(tricky);
      expect(everything).not.toContain(escaped);
    });

    it('leaves it out of the error of a start that times out, with the last CLUSTER INFO of the slowest node', async () => {
      logged.length = 0;
      const error = (await startRedisCluster({
        runtime,
        masters: 1,
        replicas: 1,
        password,
        logger,
        startupTimeoutMs: 8000,
        redisConfig: { 'repl-diskless-sync-delay': 60 }, // the replica never links in time
      }).catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(ClusterStartupTimeoutError);
      expect(error.message).toContain('last CLUSTER INFO');
      expect(error.message).not.toContain(password);
      expect(logged.filter((l) => l.includes(password))).toEqual([]);
    });
  });
});
