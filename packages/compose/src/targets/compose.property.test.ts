import fc from 'fast-check';
import { parseDocument } from 'yaml';
import { announcedAddress, createPlan, MAX_NODES, nodeDirectives } from '@redis-cluster-kit/plan';
import { options, passwordEnv } from '../../test/arbitraries';
import { composeSchemaErrors } from '../../test/compose-schema';
import { renderFiles } from './index';
import type { ClusterJson } from './view';

// For any valid options, the rendered files parse, validate against the Compose Specification
// and mean the plan; rendering is deterministic. 100 runs keep the unit tests fast.
const RUNS = { numRuns: 100 };

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
