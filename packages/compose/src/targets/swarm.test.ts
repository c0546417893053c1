import fc from 'fast-check';
import { parseDocument } from 'yaml';
import {
  announcedAddress,
  createPlan,
  nodeDirectives,
  renderDirectives,
  type PlanOptions,
} from '@redis-cluster-kit/plan';
import { options } from '../../test/arbitraries';
import { composeSchemaErrors } from '../../test/compose-schema';
import { expectFormsPlan } from '../../test/forming';
import { REPO_PROGRAM } from '../flags';
import { template } from '../templates';
import { viewModel } from './compose';
import { regenerateCommand, renderFiles, renderSettings, renderTarget } from './index';
import { INIT_SERVICE } from './compose';
import { STACK_FILE, swarmViewModel } from './swarm';
import type { ClusterJson } from './view';

interface StackService {
  image: string;
  hostname?: string;
  command: string[];
  configs: Array<{ source: string; target: string }>;
  volumes?: Array<{ type: string; source: string; target: string }>;
  networks: string[];
  ports?: Array<{ target: number; published: number; protocol: string; mode: string }>;
  deploy: { mode: string; replicas: number; endpoint_mode?: string; restart_policy: { condition: string } };
}
interface Stack {
  version: string;
  services: Record<string, StackService>;
  networks: Record<string, { driver: string; attachable: boolean }>;
  configs: Record<string, { file: string }>;
  volumes: Record<string, unknown>;
}

function render(o: Partial<PlanOptions> = {}) {
  const plan = createPlan(o);
  const command = regenerateCommand(plan.options, { target: 'swarm' }, REPO_PROGRAM);
  const files = renderTarget(plan, { target: 'swarm', command });
  const doc = parseDocument(files.get(STACK_FILE)!);
  expect(doc.errors).toEqual([]);
  expect(doc.warnings).toEqual([]);
  return { plan, files, stack: doc.toJS() as Stack, json: JSON.parse(files.get('cluster.json')!) as ClusterJson };
}

describe('--target swarm: a stack file from the plan', () => {
  const r = render({ masters: 2, replicas: 1 });

  it('writes stack.yaml, a redis.conf per node, init-cluster.sh, cluster.json and README.md (snapshots)', () => {
    expect([...r.files.keys()].sort()).toEqual(
      [
        STACK_FILE,
        ...r.plan.nodes.map((n) => `nodes/${n.name}/redis.conf`),
        'init-cluster.sh',
        'cluster.json',
        'README.md',
      ].sort(),
    );
    for (const [path, content] of r.files) expect(content).toMatchSnapshot(path);
  });

  it('validates against the Compose Specification (the format docker stack deploy reads)', () => {
    expect(composeSchemaErrors(r.stack)).toEqual([]);
    expect(r.stack.version).toBe('3.9');
  });

  it('runs each node as one service: its name, dnsrr, a host-mode port, its config and volume, restarted always', () => {
    for (const node of r.plan.nodes) {
      const s = r.stack.services[node.name]!;
      expect(s.hostname).toBe(node.name);
      expect(s.deploy).toEqual({
        mode: 'replicated',
        replicas: 1,
        endpoint_mode: 'dnsrr',
        restart_policy: { condition: 'any', delay: '1s' },
      });
      expect(s.ports).toEqual([{ target: node.port, published: node.port, protocol: 'tcp', mode: 'host' }]);
      expect(s.configs).toEqual([{ source: `${node.name}-conf`, target: '/usr/local/etc/redis/redis.conf' }]);
      expect(s.volumes).toEqual([{ type: 'volume', source: `${node.name}-data`, target: '/data' }]);
      expect(s.networks).toEqual(['redis-cluster']);
      expect(r.stack.configs[`${node.name}-conf`]).toEqual({ file: `./nodes/${node.name}/redis.conf` });
      const lines = r.files
        .get(`nodes/${node.name}/redis.conf`)!
        .split('\n')
        .filter((l) => l && !l.startsWith('#'));
      expect(lines).toEqual(renderDirectives(nodeDirectives(r.plan, node)).split('\n'));
    }
    expect(r.stack.networks).toEqual({ 'redis-cluster': { driver: 'overlay', attachable: true } });
    expect(Object.keys(r.stack.volumes)).toEqual(r.plan.nodes.map((n) => `${n.name}-data`));
  });

  it('forms the cluster in a replicated job with the Compose init script’s code and plan', () => {
    const init = r.stack.services[INIT_SERVICE]!;
    expect(init.deploy.mode).toBe('replicated-job');
    expect(init.deploy.restart_policy.condition).toBe('on-failure');
    const script = r.files.get('init-cluster.sh')!;
    expectFormsPlan(r.plan, script);
    const composeInit = renderFiles(r.plan).get('init-cluster.sh')!;
    const composeView = viewModel(r.plan, renderSettings(r.plan));
    const view = swarmViewModel(r.plan, renderSettings(r.plan, { target: 'swarm' }));
    for (const partial of ['form-settings', 'form-functions', 'form-plan', 'form-run']) {
      const forCompose = template(`partials/${partial}.sh.hbs`)(composeView);
      const forSwarm = template(`partials/${partial}.sh.hbs`)(view);
      expect([partial, composeInit.includes(forCompose)]).toEqual([partial, true]);
      expect([partial, script.includes(forSwarm)]).toEqual([partial, true]);
      expect(forCompose.replace('(see: docker compose logs $1)', '(see: docker service logs redis-cluster_$1)')).toBe(
        forSwarm,
      );
    }
    // The Compose init step then stays up, idle (for `up --wait`); a Job or a replicated-job must end.
    const untilStayUp = (s: string) => s.split('# Stay up, idle')[0]!.trimEnd();
    const planPart = (s: string) => untilStayUp(s.slice(s.indexOf('# --- the plan')));
    expect(planPart(script)).toBe(planPart(composeInit));
  });

  it('writes cluster.json with startup nodes and a natMap to the host-mode ports on 127.0.0.1', () => {
    expect(json(r).startupNodes).toEqual(r.plan.shards.map((s) => ({ host: '127.0.0.1', port: s.master.port })));
    expect(json(r).natMap).toEqual(
      Object.fromEntries(r.plan.nodes.map((n) => [announcedAddress(r.plan, n), { host: '127.0.0.1', port: n.port }])),
    );
  });
});

const json = (r: { json: ClusterJson }) => r.json;

describe('--target swarm for any valid options (fast-check)', () => {
  it('writes a stack file valid against the Compose Specification that means the plan', () => {
    const noAuth = options.map((o) => ({ ...o, announce: 'hostname' as const, auth: false }));
    fc.assert(
      fc.property(noAuth, (o) => {
        const r = render(o);
        expect(composeSchemaErrors(r.stack)).toEqual([]);
        expect(Object.keys(r.stack.services)).toEqual([...r.plan.nodes.map((n) => n.name), INIT_SERVICE]);
        for (const node of r.plan.nodes) {
          expect(r.stack.services[node.name]!.image).toBe(`\${REDIS_CLUSTER_IMAGE:-${o.image}}`);
          expect(r.stack.services[node.name]!.ports![0]!.published).toBe(node.port);
        }
        expectFormsPlan(r.plan, r.files.get('init-cluster.sh')!);
      }),
      { numRuns: 40 },
    );
  });
});
