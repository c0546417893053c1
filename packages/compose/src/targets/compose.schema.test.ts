import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { createPlan, type PlanOptions } from '@redis-cluster-kit/plan';
import { composeSchema, composeSchemaErrors } from '../../test/compose-schema';
import { DEFAULT_OUT, renderFiles } from './index';

// compose.yaml checked against the Compose Specification's JSON schema (from the npm registry,
// see test/compose-schema.ts) with a real validator, ajv. The integration tests also run
// `docker compose config` and `docker-compose config` on it.
const composeOf = (options: Partial<PlanOptions>, render: { bind?: string; passwordEnv?: string } = {}) =>
  parse(renderFiles(createPlan(options), render).get('compose.yaml')!) as ComposeDoc;

/** A parsed compose.yaml, as loosely typed as the tests below need to spoil it. */
interface ComposeDoc {
  [key: string]: unknown;
  services: Record<string, Record<string, unknown> & { depends_on: Record<string, Record<string, unknown>> }>;
}

describe('compose.yaml against the Compose Specification schema', () => {
  it('is the Compose Specification schema', () => {
    const schema = composeSchema();
    expect(schema.$id).toBe('compose_spec.json');
    expect(schema.title).toBe('Compose Specification');
    expect(Object.keys(schema.properties as object)).toEqual(
      expect.arrayContaining(['services', 'volumes', 'networks']),
    );
  });

  it('accepts the committed default output', () => {
    const committed: unknown = parse(
      readFileSync(join(__dirname, '..', '..', '..', '..', DEFAULT_OUT, 'compose.yaml'), 'utf8'),
    );
    expect(composeSchemaErrors(committed)).toEqual([]);
  });

  it.each<[string, Partial<PlanOptions>, { bind?: string; passwordEnv?: string }]>([
    ['a single master', { masters: 1, replicas: 0 }, {}],
    ['5 masters x 2 replicas on 0.0.0.0', { masters: 5, replicas: 2, basePort: 30000 }, { bind: '0.0.0.0' }],
    ['auth with the default variable', { auth: true }, {}],
    [
      'auth with another variable, loopback, no persistence',
      { auth: true, announce: 'loopback', persistence: 'none' },
      { passwordEnv: 'APP_REDIS_PASSWORD' },
    ],
    [
      'a registry image with a digest',
      { image: `registry.local:5000/team/redis:7.2@sha256:${'a'.repeat(64)}`, persistence: 'rdb' },
      {},
    ],
  ])('accepts %s', (_label, options, render) => {
    expect(composeSchemaErrors(composeOf(options, render))).toEqual([]);
  });

  // The validator is real: it refuses what Compose refuses.
  it.each<[string, (doc: ComposeDoc) => void, string]>([
    ['an unknown top-level key', (d) => (d.x_version = '3'), '/ must NOT have additional properties'],
    [
      'an unknown service key',
      (d) => (d.services['redis-node-1']!.privileged_mode = true),
      '/services/redis-node-1 must NOT have additional properties',
    ],
    [
      'an unknown depends_on condition',
      (d) => (d.services['redis-node-4']!.depends_on = { 'redis-node-1': { condition: 'service_ok' } }),
      '/services/redis-node-4/depends_on',
    ],
    ['a command that is a number', (d) => (d.services['redis-node-1']!.command = 5), '/services/redis-node-1/command'],
    [
      'a restart policy that is a list',
      (d) => (d.services['redis-cluster-init']!.restart = ['no']),
      '/services/redis-cluster-init/restart must be string',
    ],
    ['volumes that are a list', (d) => (d.volumes = ['data']), '/volumes must be object'],
  ])('refuses %s', (_label, spoil, expected) => {
    const doc = composeOf({});
    spoil(doc);
    expect(composeSchemaErrors(doc).join('\n')).toContain(expected);
  });
});
