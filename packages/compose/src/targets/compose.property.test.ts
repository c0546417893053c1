import fc from 'fast-check';
import { parseDocument } from 'yaml';
import {
  announcedAddress,
  ANNOUNCE_MODES,
  createPlan,
  MAX_NODES,
  nodeDirectives,
  OPTION_SPECS,
  PERSISTENCE_MODES,
  type PlanOptions,
} from '@redis-cluster-kit/plan';
import { composeSchemaErrors } from '../../test/compose-schema';
import { validatePasswordEnv } from '../secret';
import { renderFiles } from './index';
import type { ClusterJson } from './view';

// For any valid options, the rendered files parse, validate against the Compose Specification
// and mean the plan; rendering is deterministic. 100 runs keep the unit tests fast.
const RUNS = { numRuns: 100 };

/** Ports, bus offsets and shapes that the plan accepts: built so that every one is valid. */
const shape = fc
  .record({ masters: fc.integer({ min: 1, max: 12 }), replicas: fc.integer({ min: 0, max: 3 }) })
  .chain(({ masters, replicas }) => {
    const nodes = masters * (1 + replicas);
    return fc.integer({ min: 1, max: 65535 - nodes + 1 }).chain((basePort) => {
      const last = basePort + nodes - 1;
      const offsets: fc.Arbitrary<number>[] = [];
      if (65535 - last >= nodes) offsets.push(fc.integer({ min: nodes, max: 65535 - last }));
      if (basePort - 1 >= nodes) offsets.push(fc.integer({ min: -(basePort - 1), max: -nodes }));
      return fc.oneof(...offsets).map((busPortOffset) => ({ masters, replicas, basePort, busPortOffset }));
    });
  });

const label = fc.stringMatching(/^[a-z0-9]{1,6}(?:[._-][a-z0-9]{1,6}){0,2}$/);
const image = fc
  .record({
    registry: fc.option(
      fc.tuple(
        fc.stringMatching(/^[a-z0-9]{1,8}(?:\.[a-z0-9]{1,8}){0,2}$/),
        fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
      ),
      { nil: undefined },
    ),
    path: fc.array(label, { minLength: 1, maxLength: 3 }),
    tag: fc.option(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/), { nil: undefined }),
    digest: fc.option(fc.stringMatching(/^[a-f0-9]{64}$/), { nil: undefined }),
  })
  .map(
    ({ registry, path, tag, digest }) =>
      `${registry ? `${registry[0]}${registry[1] ? `:${registry[1]}` : ''}/` : ''}${path.join('/')}${tag ? `:${tag}` : ''}${digest ? `@sha256:${digest}` : ''}`,
  )
  .filter((ref) => OPTION_SPECS.image.schema.safeParse(ref).success);

const options: fc.Arbitrary<PlanOptions> = fc
  .record({
    shape,
    namePrefix: fc.stringMatching(/^[a-z](?:[a-z0-9-]{0,40}[a-z0-9])?$/),
    image,
    announce: fc.constantFrom(...ANNOUNCE_MODES),
    nodeTimeoutMs: fc.integer({ min: 100, max: 3_600_000 }),
    persistence: fc.constantFrom(...PERSISTENCE_MODES),
    auth: fc.boolean(),
  })
  .map(({ shape: s, ...rest }) => ({ ...s, ...rest }));

const passwordEnv = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,20}$/).filter((name) => {
  try {
    return validatePasswordEnv(name) === name;
  } catch {
    return false;
  }
});

const input = fc.record({ options, bind: fc.ipV4(), passwordEnv });

describe('renderFiles for any valid options (fast-check)', () => {
  it('generates only valid plans', () => {
    fc.assert(
      fc.property(options, (o) => {
        expect(createPlan(o).nodes.length).toBeLessThanOrEqual(MAX_NODES);
      }),
      RUNS,
    );
  });

  it('writes a compose.yaml that parses cleanly and validates against the Compose Specification', () => {
    fc.assert(
      fc.property(input, ({ options: o, bind, passwordEnv: env }) => {
        const plan = createPlan(o);
        const doc = parseDocument(renderFiles(plan, { bind, passwordEnv: env }).get('compose.yaml')!);
        expect(doc.errors).toEqual([]);
        expect(doc.warnings).toEqual([]);
        const compose = doc.toJS() as {
          services: Record<string, { image: string; hostname?: string; ports?: string[] }>;
        };
        expect(composeSchemaErrors(compose)).toEqual([]);
        // The values arrive as they were given: nothing was split, cut or re-typed by YAML.
        for (const node of plan.nodes) {
          const service = compose.services[node.name]!;
          expect(service.image).toBe(`\${REDIS_CLUSTER_IMAGE:-${o.image}}`);
          expect(service.hostname).toBe(node.name);
          expect(service.ports).toEqual([`${bind}:${node.port}:${node.port}`]);
        }
      }),
      RUNS,
    );
  });

  it('writes a cluster.json whose natMap keys are the announced addresses', () => {
    fc.assert(
      fc.property(input, ({ options: o, bind, passwordEnv: env }) => {
        const plan = createPlan(o);
        const json = JSON.parse(renderFiles(plan, { bind, passwordEnv: env }).get('cluster.json')!) as ClusterJson;
        expect(Object.keys(json.natMap)).toEqual(plan.nodes.map((n) => announcedAddress(plan, n)));
        expect(Object.values(json.natMap).map((v) => v.port)).toEqual(plan.nodes.map((n) => n.port));
        expect(json.startupNodes).toHaveLength(o.masters);
        expect(json.plan.options).toEqual(plan.options);
        expect(json.auth).toEqual(o.auth ? { passwordEnv: env, file: '.env' } : undefined);
      }),
      RUNS,
    );
  });

  it('writes redis.conf files with exactly the planned directives, and never a password', () => {
    fc.assert(
      fc.property(input, ({ options: o, bind, passwordEnv: env }) => {
        const plan = createPlan(o);
        const files = renderFiles(plan, { bind, passwordEnv: env });
        for (const node of plan.nodes) {
          const lines = files
            .get(`nodes/${node.name}/redis.conf`)!
            .split('\n')
            .filter((l) => l && !l.startsWith('#'));
          expect(lines.map((l) => l.split(' ')[0])).toEqual(nodeDirectives(plan, node).map(([name]) => name));
          expect(lines).toContain(`protected-mode ${o.auth ? 'yes' : 'no'}`);
          expect(lines.join('\n')).not.toMatch(/requirepass|masterauth/);
        }
        expect(files.has('.gitignore')).toBe(o.auth);
        if (o.auth) expect(files.get('compose.yaml')).toContain(`\${${env}:?`);
      }),
      RUNS,
    );
  });

  it('is deterministic: the same options give the same bytes', () => {
    fc.assert(
      fc.property(input, ({ options: o, bind, passwordEnv: env }) => {
        const first = renderFiles(createPlan(o), { bind, passwordEnv: env });
        const second = renderFiles(createPlan({ ...o }), { bind, passwordEnv: env });
        expect([...second.entries()]).toEqual([...first.entries()]);
      }),
      RUNS,
    );
  });
});
