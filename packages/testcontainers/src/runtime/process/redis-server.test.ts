import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisServerUnavailableError } from '../../errors';
import { findRedisServer, lookupOnPath, parseServerVersion } from './redis-server';

describe('redis-server --version', () => {
  it('gives product and version, for Redis and its forks', () => {
    expect(
      parseServerVersion('Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=ae4d7c971a948f0\n'),
    ).toEqual({ product: 'Redis', version: '7.0.15', major: 7, minor: 0 });
    expect(parseServerVersion('Valkey server v=8.0.1 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64')).toMatchObject({
      product: 'Valkey',
      major: 8,
    });
    expect(parseServerVersion('node v20')).toBeUndefined();
  });
});

describe('finding redis-server', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rck-server-'));
    const script = (name: string, version: string, product = 'Redis') => {
      const path = join(dir, name);
      writeFileSync(path, `#!/bin/sh\necho "${product} server v=${version} sha=00000000:0 malloc=libc bits=64"\n`);
      chmodSync(path, 0o755);
      return path;
    };
    script('redis-server', '7.2.4');
    script('redis-server-6', '6.2.6');
    script('valkey-server', '8.1.1', 'Valkey');
    script('valkey-server-7.0', '7.0.1', 'Valkey');
    script('keydb-server', '6.3.4', 'KeyDB');
    writeFileSync(join(dir, 'not-executable'), '');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('looks a command name up on PATH, and takes a path as it is', async () => {
    expect(await lookupOnPath('redis-server', `/nonexistent:${dir}`)).toBe(join(dir, 'redis-server'));
    expect(await lookupOnPath('redis-server', '')).toBeUndefined();
    expect(await findRedisServer('redis-server', { PATH: dir })).toEqual({
      path: join(dir, 'redis-server'),
      product: 'Redis',
      version: '7.2.4',
    });
    expect((await findRedisServer(join(dir, 'redis-server'), {})).version).toBe('7.2.4');
    expect(await findRedisServer('valkey-server', { PATH: dir })).toEqual({
      path: join(dir, 'valkey-server'),
      product: 'Valkey',
      version: '8.1.1',
    });
  });

  it.each([
    [
      'missing on PATH',
      'redis-server',
      { PATH: '/nonexistent' },
      'Cannot run redis-server "redis-server" for the process runtime: it is not on PATH. To fix it, install Redis >= 7.0',
    ],
    [
      'a path to nothing',
      '/nonexistent/redis-server',
      {},
      'Cannot run redis-server "/nonexistent/redis-server" for the process runtime: no such file.',
    ],
    ['not executable', 'NOT_EXECUTABLE', {}, 'for the process runtime: it is not an executable file.'],
    ['too old', 'OLD', {}, 'for the process runtime: it is Redis 6.2.6; supported: Redis >= 7.0 or Valkey >= 7.2.'],
    [
      'an old Valkey',
      'OLD_VALKEY',
      {},
      'for the process runtime: it is Valkey 7.0.1; supported: Redis >= 7.0 or Valkey >= 7.2.',
    ],
    [
      'another server',
      'OTHER',
      {},
      'for the process runtime: it is keydb 6.3.4, an unknown server; supported: Redis >= 7.0 or Valkey >= 7.2.',
    ],
  ])('says what is wrong when it is %s, and how to fix it', async (_label, spec, env, message) => {
    const files: Record<string, string> = {
      NOT_EXECUTABLE: 'not-executable',
      OLD: 'redis-server-6',
      OLD_VALKEY: 'valkey-server-7.0',
      OTHER: 'keydb-server',
    };
    const path = spec in files ? join(dir, files[spec]!) : spec;
    const error = await findRedisServer(path, env).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisServerUnavailableError);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).toContain('REDIS_CLUSTER_SERVER_PATH (or the redisServerPath option)');
    expect((error as Error).message).not.toContain('\n');
  });
});
