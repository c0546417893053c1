import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { createPlan, nodeDirectives, renderDirectives, type PlanOptions } from '@redis-cluster-kit/plan';
import { options, passwordEnv } from '../../test/arbitraries';
import { expectFormsPlan } from '../../test/forming';
import { kubernetesSchemaErrors } from '../../test/kubernetes-schema';
import { REPO_PROGRAM } from '../flags';
import { template } from '../templates';
import { viewModel } from './compose';
import { regenerateCommand, renderFiles, renderSettings, renderTarget } from './index';
import {
  FORM_SCRIPT,
  kubernetesDirectives,
  kubernetesViewModel,
  MANIFESTS_FILE,
  objectNames,
  podDnsName,
} from './kubernetes';

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}
// The parts of the objects the tests read (the schemas check the whole).
interface Container {
  name: string;
  image: string;
  command: string[];
  env?: Array<{ name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
}
interface PodSpec {
  containers: Container[];
  restartPolicy?: string;
}
interface StatefulSetSpec {
  serviceName: string;
  replicas: number;
  ordinals: { start: number };
  podManagementPolicy: string;
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
}

function render(o: Partial<PlanOptions> = {}, namespace = 'redis', env?: string) {
  const plan = createPlan(o);
  const command = regenerateCommand(plan.options, { target: 'kubernetes', namespace, passwordEnv: env }, REPO_PROGRAM);
  const files = renderTarget(plan, { target: 'kubernetes', namespace, command, passwordEnv: env });
  const docs = parseAllDocuments(files.get(MANIFESTS_FILE)!);
  const objects = (Array.isArray(docs) ? docs : [docs]).map((d) => {
    expect(d.errors).toEqual([]);
    expect(d.warnings).toEqual([]);
    return d.toJS() as Manifest;
  });
  const byKind = (kind: string) => objects.find((m) => m.kind === kind)!;
  return {
    plan,
    files,
    objects,
    config: byKind('ConfigMap'),
    sts: byKind('StatefulSet').spec as unknown as StatefulSetSpec,
    job: byKind('Job').spec as unknown as { backoffLimit: number; template: { spec: PodSpec } },
    service: byKind('Service').spec as unknown as { clusterIP: string; publishNotReadyAddresses: boolean },
    budget: byKind('PodDisruptionBudget').spec as unknown as {
      maxUnavailable: number;
      selector: { matchLabels: Record<string, string> };
    },
  };
}

describe('--target kubernetes: manifests from the plan', () => {
  const r = render({ masters: 2, replicas: 1 });

  it('writes kubernetes.yaml and README.md (snapshots)', () => {
    expect([...r.files.keys()]).toEqual([MANIFESTS_FILE, 'README.md']);
    for (const [path, content] of r.files) expect(content).toMatchSnapshot(path);
  });

  it('has a ConfigMap, a headless Service, a StatefulSet, a PodDisruptionBudget and a Job, each valid against the Kubernetes API schema', () => {
    expect(r.objects.map((o) => `${o.apiVersion}/${o.kind}`)).toEqual([
      'v1/ConfigMap',
      'v1/Service',
      'apps/v1/StatefulSet',
      'policy/v1/PodDisruptionBudget',
      'batch/v1/Job',
    ]);
    for (const o of r.objects) {
      expect(kubernetesSchemaErrors(o)).toEqual([]);
      expect(o.metadata.namespace).toBe('redis');
    }
    // The check can fail: a wrong type is an error.
    expect(kubernetesSchemaErrors({ ...r.objects[2]!, spec: { ...r.objects[2]!.spec, replicas: '4' } })).not.toEqual(
      [],
    );
  });

  it('runs the planned nodes as the pods of one StatefulSet: their names, all at once, behind a headless Service', () => {
    expect(r.sts.replicas).toBe(r.plan.nodes.length);
    expect(r.sts.ordinals).toEqual({ start: 1 });
    expect(r.sts.podManagementPolicy).toBe('Parallel');
    expect(r.sts.serviceName).toBe(objectNames(r.plan).service);
    // StatefulSet pods are named <statefulset>-<ordinal>: from 1, these are the plan's names.
    expect(r.plan.nodes.map((n, i) => `${objectNames(r.plan).statefulSet}-${i + 1}`)).toEqual(
      r.plan.nodes.map((n) => n.name),
    );
    expect(r.service).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    expect(r.budget.maxUnavailable).toBe(1);
    expect(r.budget.selector.matchLabels).toEqual(r.sts.selector.matchLabels);
    // The Job's pod is no node: the StatefulSet and the budget do not select it.
    const jobLabels = (
      r.objects[4] as unknown as { spec: { template: { metadata: { labels: Record<string, string> } } } }
    ).spec.template.metadata.labels;
    expect(Object.entries(r.sts.selector.matchLabels).every(([k, v]) => jobLabels[k] === v)).toBe(false);
  });

  it("gives every node its plan's redis.conf, announcing its pod's stable DNS name", () => {
    for (const node of r.plan.nodes) {
      const lines = r.config.data![`${node.name}.conf`]!.split('\n').filter((l) => l && !l.startsWith('#'));
      expect(lines).toEqual(renderDirectives(kubernetesDirectives(r.plan, node, 'redis')).split('\n'));
      expect(lines).toContain(`cluster-announce-hostname ${node.name}.redis-node.redis.svc`);
      // Everything else is the plan's nodeDirectives as they are.
      expect(lines.filter((l) => !l.startsWith('cluster-announce-hostname '))).toEqual(
        renderDirectives(nodeDirectives(r.plan, node))
          .split('\n')
          .filter((l) => !l.startsWith('cluster-announce-hostname ')),
      );
    }
    expect(podDnsName(r.plan, r.plan.nodes[0]!, 'redis')).toBe('redis-node-1.redis-node.redis.svc');
  });

  it("forms the cluster in the Job with the Compose init script's code and plan", () => {
    const script = r.config.data![FORM_SCRIPT]!;
    expectFormsPlan(r.plan, script);
    expect(r.job.template.spec.restartPolicy).toBe('OnFailure');
    expect(r.job.template.spec.containers[0]!.command).toEqual(['sh', `/usr/local/etc/redis/${FORM_SCRIPT}`]);
    // The shared partials, rendered for both targets, differ only in how redis-cli is called,
    // how messages start and where a silent node's log is.
    const composeView = viewModel(r.plan, renderSettings(r.plan));
    const view = kubernetesViewModel(r.plan, renderSettings(r.plan, { target: 'kubernetes', namespace: 'redis' }));
    const init = renderFiles(r.plan).get('init-cluster.sh')!;
    for (const partial of ['form-settings', 'form-functions', 'form-plan', 'form-run']) {
      const forCompose = template(`partials/${partial}.sh.hbs`)(composeView);
      const forKubernetes = template(`partials/${partial}.sh.hbs`)(view);
      expect([partial, init.includes(forCompose)]).toEqual([partial, true]);
      expect([partial, script.includes(forKubernetes)]).toEqual([partial, true]);
      expect(
        forCompose
          .replaceAll('"$CLI" -h', 'redis_cli -h')
          .replaceAll('redis-cluster-init:', 'redis-node-init:')
          .replace('(see: docker compose logs $1)', '(see: kubectl -n redis logs pod/$1)'),
      ).toBe(forKubernetes);
    }
    // The plan part (what is formed, in which order) is the same text in both scripts.
    // The Compose init step then stays up, idle (for `up --wait`); a Job or a replicated-job must end.
    const untilStayUp = (s: string) => s.split('# Stay up, idle')[0]!.trimEnd();
    const planPart = (s: string) => untilStayUp(s.slice(s.indexOf('# --- the plan'))).replaceAll('redis_cli', '"$CLI"');
    expect(planPart(script).replaceAll('redis-node-init:', 'redis-cluster-init:')).toBe(planPart(init));
  });

  it('with --auth: the nodes and the Job read the password from a Secret the user creates; no object holds one', () => {
    const a = render({ masters: 1, replicas: 1, auth: true }, 'team-a', 'CACHE_PASSWORD');
    expect(a.objects.map((o) => o.kind)).not.toContain('Secret');
    const ref = { secretKeyRef: { name: 'redis-node-auth', key: 'CACHE_PASSWORD' } };
    const node = a.sts.template.spec.containers[0]!;
    expect(node.env).toEqual([
      { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'REDIS_PASSWORD', valueFrom: ref },
      { name: 'REDISCLI_AUTH', valueFrom: ref },
    ]);
    expect(a.job.template.spec.containers[0]!.env).toEqual([{ name: 'REDISCLI_AUTH', valueFrom: ref }]);
    // The password reaches redis-server on its standard input, never as an argument.
    expect(node.command[2]).toContain('exec "$server" "$conf" - <<EOF\nrequirepass $REDIS_PASSWORD\n');
    expect(node.command[2]).toContain('server=$(command -v redis-server || command -v valkey-server) ||');
    expect(node.command.join(' ')).not.toMatch(/--requirepass/);
    expect(a.files.get('.gitignore')!.split('\n')).toContain('.env');
    expect(a.files.get('README.md')).toContain(
      'kubectl -n team-a create secret generic redis-node-auth --from-env-file=.env',
    );
    for (const o of a.objects) expect(kubernetesSchemaErrors(o)).toEqual([]);
  });

  it('refuses a namespace that is not a DNS-1123 label', () => {
    const plan = createPlan();
    for (const bad of ['Redis', '-a', 'a_b', 'a.b', '', 'x'.repeat(64)]) {
      expect(() => renderTarget(plan, { target: 'kubernetes', namespace: bad })).toThrow(/Invalid option namespace/);
    }
  });
});

describe('--target kubernetes for any valid options (fast-check)', () => {
  const namespace = fc.stringMatching(/^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/);
  const input = fc.record({
    options: options.map((o) => ({ ...o, announce: 'hostname' as const })),
    namespace,
    passwordEnv,
  });

  it('writes objects valid against the Kubernetes API schemas that mean the plan, and forms it as planned', () => {
    fc.assert(
      fc.property(input, ({ options: o, namespace: ns, passwordEnv: env }) => {
        const r = render(o, ns, env);
        for (const obj of r.objects) {
          expect(kubernetesSchemaErrors(obj)).toEqual([]);
          expect(obj.metadata.namespace).toBe(ns);
          // Object names and label values are at most 63 characters (pod names too).
          expect(obj.metadata.name.length).toBeLessThanOrEqual(63);
        }
        expect(r.sts.replicas).toBe(r.plan.nodes.length);
        for (const node of r.plan.nodes) {
          expect(node.name.length).toBeLessThanOrEqual(63);
          expect(r.config.data![`${node.name}.conf`]).toContain(
            `\ncluster-announce-hostname ${podDnsName(r.plan, node, ns)}\n`,
          );
          expect(r.config.data![`${node.name}.conf`]).not.toMatch(/requirepass|masterauth/);
        }
        expectFormsPlan(r.plan, r.config.data![FORM_SCRIPT]!);
        expect(r.files.get(MANIFESTS_FILE)).toBe(render(o, ns, env).files.get(MANIFESTS_FILE));
      }),
      { numRuns: 40 },
    );
  });
});
