import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CLI_LOOKUP,
  SERVER_LAUNCH_SCRIPT,
  SUPPORTED_ENGINES_TEXT,
  describeServer,
  serverFromInfo,
  serverFromVersionOutput,
  unsupportedServerReason,
} from './engines';

// INFO server as the real servers answer it (\r\n line ends), trimmed to the fields that matter.
const REDIS_7_0 = '# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:00000000\r\nredis_mode:cluster\r\n';
const REDIS_8_0 = '# Server\r\nredis_version:8.0.2\r\nredis_git_sha1:00000000\r\nredis_mode:cluster\r\n';
const VALKEY_8_0 =
  '# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:8.0.1\r\nserver_mode:cluster\r\n';
const VALKEY_8_1 =
  '# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:8.1.1\r\nserver_mode:cluster\r\n';

describe('what a server says it is', () => {
  it('reads INFO server: server_name and its own version first (Valkey reports redis_version 7.2.4 for compatibility)', () => {
    expect(serverFromInfo(REDIS_7_0)).toEqual({ engine: 'redis', version: '7.0.15' });
    expect(serverFromInfo(REDIS_8_0)).toEqual({ engine: 'redis', version: '8.0.2' });
    expect(serverFromInfo(VALKEY_8_0)).toEqual({ engine: 'valkey', version: '8.0.1' });
    expect(serverFromInfo(VALKEY_8_1)).toEqual({ engine: 'valkey', version: '8.1.1' });
    expect(serverFromInfo('server_name:keydb\nredis_version:6.3.4\n')).toEqual({ engine: 'keydb', version: '6.3.4' });
    expect(serverFromInfo('# Server\r\nos:Linux\r\n')).toBeUndefined();
  });

  it('reads --version', () => {
    expect(serverFromVersionOutput('Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64')).toEqual({
      engine: 'redis',
      version: '7.0.15',
    });
    expect(serverFromVersionOutput('Valkey server v=8.0.1 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64\n')).toEqual({
      engine: 'valkey',
      version: '8.0.1',
    });
    expect(serverFromVersionOutput('node v20.20.2')).toBeUndefined();
  });

  it('accepts Redis >= 7.0 and Valkey >= 7.2; names what it found and what is supported otherwise', () => {
    expect(SUPPORTED_ENGINES_TEXT).toBe('Redis >= 7.0 or Valkey >= 7.2');
    for (const info of [REDIS_7_0, REDIS_8_0, VALKEY_8_0, VALKEY_8_1])
      expect(unsupportedServerReason(serverFromInfo(info)!)).toBeUndefined();
    expect(unsupportedServerReason({ engine: 'valkey', version: '7.2.4' })).toBeUndefined();
    expect(unsupportedServerReason({ engine: 'redis', version: '6.2.14' })).toBe(
      'it is Redis 6.2.14; supported: Redis >= 7.0 or Valkey >= 7.2',
    );
    expect(unsupportedServerReason({ engine: 'valkey', version: '7.0.1' })).toBe(
      'it is Valkey 7.0.1; supported: Redis >= 7.0 or Valkey >= 7.2',
    );
    expect(unsupportedServerReason({ engine: 'keydb', version: '6.3.4' })).toBe(
      'it is keydb 6.3.4, an unknown server; supported: Redis >= 7.0 or Valkey >= 7.2',
    );
    expect(unsupportedServerReason({ engine: 'toString', version: '9.9.9' })).toContain('an unknown server');
    expect(unsupportedServerReason({ engine: 'redis', version: 'unstable' })).toBe(
      'it reports version "unstable"; supported: Redis >= 7.0 or Valkey >= 7.2',
    );
    expect(describeServer({ engine: 'valkey', version: '8.1.1' })).toBe('Valkey 8.1.1');
  });
});

// The shell code the containers and generated scripts run, run by dash against fake programs.
describe('finding the server and the CLI by name (sh)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rck-engines-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const fake = (name: string) => {
    writeFileSync(join(dir, name), `#!/bin/sh\necho "${name} ran with: $*"\n`);
    chmodSync(join(dir, name), 0o755);
  };
  const dash = execFileSync('sh', ['-c', 'command -v dash']).toString().trim();
  const launch = (...args: string[]) =>
    spawnSync(dash, ['-c', SERVER_LAUNCH_SCRIPT, 'redis-server', ...args], { env: { PATH: dir }, encoding: 'utf8' });

  it('runs redis-server, or valkey-server where there is only that, with the arguments as they are', () => {
    fake('valkey-server');
    expect(launch('/etc/redis.conf', '--port', '7101', '--save', '').stdout).toBe(
      'valkey-server ran with: /etc/redis.conf --port 7101 --save \n',
    );
    fake('redis-server');
    expect(launch('a b').stdout).toBe('redis-server ran with: a b\n');
  });

  it('fails with exit code 127 and one line naming both when there is neither', () => {
    const r = launch('/etc/redis.conf');
    expect(r.status).toBe(127);
    expect(r.stderr).toBe(
      'neither redis-server nor valkey-server is on PATH: the image needs Redis >= 7.0 or Valkey >= 7.2\n',
    );
  });

  it('finds redis-cli, else valkey-cli, else fails', () => {
    const lookup = () => spawnSync(dash, ['-c', CLI_LOOKUP], { env: { PATH: dir }, encoding: 'utf8' });
    expect(lookup().status).not.toBe(0);
    fake('valkey-cli');
    expect(lookup().stdout.trim()).toBe(join(dir, 'valkey-cli'));
    fake('redis-cli');
    expect(lookup().stdout.trim()).toBe(join(dir, 'redis-cli'));
  });
});
