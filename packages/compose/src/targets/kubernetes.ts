import { join } from 'node:path';
import { Document } from 'yaml';
// Types only (erased when compiled): the objects below are checked against the Kubernetes API's
// own field names and types when this compiles; the tests validate them against its schemas.
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import type { IService } from 'kubernetes-models/v1/Service';
import {
  CLI_LOOKUP,
  SERVER_NAMES,
  nodeDirectives,
  renderDirectives,
  type ClusterPlan,
  type Directive,
  type PlannedNode,
} from '@redis-cluster-kit/plan';
import { ACL_FILE_FLAG, BIND_FLAG, NOT_YET, TLS_FLAG, validateNamespace } from '../flags';
import { ENV_FILE, validatePasswordEnv } from '../secret';
import { template } from '../templates';
import type { OutputTarget, TargetSettings } from './target';
import { clusterPicture, formingPlan, headerLine, planLine, type FormingView } from './view';

/** The one file of manifests, applied with `kubectl apply -f`. */
export const MANIFESTS_FILE = 'kubernetes.yaml';
/** The forming script's key in the ConfigMap, and where the ConfigMap is mounted. */
export const FORM_SCRIPT = 'form-cluster.sh';
export const CONF_DIR = '/usr/local/etc/redis';
/** Every node's persistent volume: `nodes.conf` (its identity) and its data, in /data. */
export const DATA_VOLUME_SIZE = '1Gi';
/** What each node asks the scheduler for (a test cluster: small, and the same for every node). */
export const NODE_REQUESTS = { cpu: '100m', memory: '128Mi' } as const;
/** What the forming Job asks for: it runs redis-cli and sh only. */
export const JOB_REQUESTS = { cpu: '10m', memory: '16Mi' } as const;
/** How often the Job's pod may fail (each try forms again from where the last one stopped). */
export const JOB_BACKOFF_LIMIT = 4;
/** The oldest Kubernetes whose StatefulSets take `ordinals.start` by default (beta in 1.27, GA in 1.31). */
export const MIN_KUBERNETES = '1.27';

/** The names of every object of a plan: all from the plan's name prefix. */
export function objectNames(plan: ClusterPlan) {
  const prefix = plan.options.namePrefix;
  return {
    /** The StatefulSet and its headless Service: pods are `<prefix>-1` ... `<prefix>-N`, the plan's names. */
    statefulSet: prefix,
    service: prefix,
    config: `${prefix}-config`,
    budget: `${prefix}-budget`,
    job: `${prefix}-init`,
    /** The Secret the user creates with `--auth` (from `.env`); never written by the generator. */
    secret: `${prefix}-auth`,
  };
}

/** A node's stable DNS name: its pod in the headless Service, resolvable from every namespace. */
export function podDnsName(plan: ClusterPlan, node: PlannedNode, namespace: string): string {
  return `${node.name}.${objectNames(plan).service}.${namespace}.svc`;
}

/**
 * The redis.conf directives of a node in a pod: the plan's {@link nodeDirectives}, announcing the
 * pod's stable DNS name instead of its bare name (which resolves only inside a Compose network).
 */
export function kubernetesDirectives(plan: ClusterPlan, node: PlannedNode, namespace: string): Directive[] {
  return nodeDirectives(plan, node).map((d) =>
    d[0] === 'cluster-announce-hostname' ? ['cluster-announce-hostname', podDnsName(plan, node, namespace)] : d,
  );
}

/**
 * The values the shared forming code (`templates/partials/form-*.sh.hbs`) prints in the Job's
 * script: `redis_cli` turns a node's name into its pod's name in the headless Service.
 */
function forming(plan: ClusterPlan, namespace: string) {
  return {
    cli: 'redis_cli',
    cliLookup: CLI_LOOKUP,
    logPrefix: objectNames(plan).job,
    awaitHint: `kubectl -n ${namespace} logs pod/$1`,
  } as const satisfies FormingView;
}

/** Everything the Kubernetes templates and manifests print, computed here. */
export function kubernetesViewModel(
  plan: ClusterPlan,
  settings: Pick<TargetSettings, 'command' | 'passwordEnv' | 'namespace'>,
) {
  const namespace = validateNamespace(settings.namespace);
  const passwordEnv = validatePasswordEnv(settings.passwordEnv);
  const header = headerLine(settings.command);
  const names = objectNames(plan);
  const nodes = plan.nodes.map((n) => ({
    name: n.name,
    number: n.index + 1,
    role: n.role,
    port: n.port,
    busPort: n.busPort,
    dnsName: podDnsName(plan, n, namespace),
    conf: `${n.name}.conf`,
    confLines: renderDirectives(kubernetesDirectives(plan, n, namespace)).split('\n'),
    description: `${planLine(n)}. Pod ${n.name} of StatefulSet ${names.statefulSet} reads it from ${CONF_DIR}/${n.name}.conf; data and nodes.conf in /data (its volume).`,
  }));
  return {
    header,
    command: settings.command,
    namespace,
    names,
    auth: plan.options.auth,
    passwordEnv,
    envFile: ENV_FILE,
    image: plan.options.image,
    confDir: CONF_DIR,
    formScript: FORM_SCRIPT,
    manifests: MANIFESTS_FILE,
    minKubernetes: MIN_KUBERNETES,
    dataSize: DATA_VOLUME_SIZE,
    nodes,
    first: nodes[0]!,
    // Inside the cluster, each node is reached at its pod's DNS name (the table below has them in full).
    picture: clusterPicture(plan, { title: 'in-cluster address', of: (n) => `${n.name}:${n.port}` }),
    startupNodes: plan.shards.map((s) => `${podDnsName(plan, s.master, namespace)}:${s.master.port}`).join(','),
    ...formingPlan(plan),
    ...forming(plan, namespace),
  };
}

type View = ReturnType<typeof kubernetesViewModel>;

/** The labels of every object, and the ones that select the nodes' pods (the Job's pod has another component). */
function labels(view: View, component: 'node' | 'init') {
  return {
    'app.kubernetes.io/name': view.names.statefulSet,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/managed-by': 'redis-cluster-kit',
  };
}
const selector = (view: View) => {
  const all = labels(view, 'node');
  return { 'app.kubernetes.io/name': all['app.kubernetes.io/name'], 'app.kubernetes.io/component': 'node' };
};

/** The password from the user's Secret, as a variable (a Secret is never written by the generator). */
function secretEnv(view: View, name: string): IEnvVar {
  return { name, valueFrom: { secretKeyRef: { name: view.names.secret, key: view.passwordEnv } } };
}

/**
 * A node's start: its own redis.conf, chosen by its pod's name; with auth, the password handed to
 * redis-server on its standard input (never an argument, which a process list would show).
 */
function nodeStartScript(view: View): string {
  const lines = [
    `conf=${CONF_DIR}/"$NODE_NAME".conf`,
    // The image's server: redis-server, or valkey-server where it has only Valkey's names.
    `server=$(${SERVER_NAMES.map((s) => `command -v ${s}`).join(' || ')}) || { echo "neither ${SERVER_NAMES.join(' nor ')} is on PATH" >&2; exit 1; }`,
    `[ -r "$conf" ] || { echo "no $conf: pods must be named ${view.nodes[0]!.name} ... ${view.nodes[view.nodes.length - 1]!.name} (StatefulSet start ordinals, Kubernetes >= ${MIN_KUBERNETES})" >&2; exit 1; }`,
  ];
  if (view.auth) {
    lines.push(
      '[ -n "${REDIS_PASSWORD:-}" ] || { echo "no password: REDIS_PASSWORD is empty" >&2; exit 1; }',
      'exec "$server" "$conf" - <<EOF',
      'requirepass $REDIS_PASSWORD',
      'masterauth $REDIS_PASSWORD',
      'EOF',
    );
  } else {
    lines.push('exec "$server" "$conf"');
  }
  return `${lines.join('\n')}\n`;
}

/** Ready when the node answers PING on its own port (its ordinal's port: node i listens on base-port + i - 1). */
function readinessScript(plan: ClusterPlan): string {
  return `c=$(${CLI_LOOKUP}) && [ "$("$c" -p $((${plan.options.basePort - 1} + \${NODE_NAME##*-})) PING)" = PONG ]`;
}

/** Every object, in the order `kubectl apply` creates them. */
export function manifests(plan: ClusterPlan, view: View) {
  const { names, namespace } = view;
  const meta = (name: string, component: 'node' | 'init') => ({ name, namespace, labels: labels(view, component) });
  const configVolume = { name: 'config', configMap: { name: names.config } };
  const configMount = { name: 'config', mountPath: CONF_DIR, readOnly: true };

  const config: IConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(names.config, 'node'),
    data: {
      ...Object.fromEntries(
        view.nodes.map((n) => [
          n.conf,
          template('shared/redis.conf.hbs')({ header: view.header, description: n.description, lines: n.confLines }),
        ]),
      ),
      [FORM_SCRIPT]: template('kubernetes/form-cluster.sh.hbs')(view),
    },
  };

  const service: IService = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(names.service, 'node'),
    spec: {
      // Headless: no virtual IP, a DNS name per pod (`<pod>.<service>.<namespace>.svc`).
      clusterIP: 'None',
      // The names exist before the pods are ready: forming needs them, and readiness is PING only.
      publishNotReadyAddresses: true,
      selector: selector(view),
      ports: view.nodes.map((n) => ({ name: `client-${n.port}`, port: n.port, targetPort: n.port })),
    },
  };

  const statefulSet: IStatefulSet = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta(names.statefulSet, 'node'),
    spec: {
      serviceName: names.service,
      replicas: plan.nodes.length,
      // Pods are <prefix>-1 ... <prefix>-N: the plan's node names.
      ordinals: { start: 1 },
      // Every node starts at once: the Job forms the cluster, no pod waits for another.
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: selector(view) },
      template: {
        metadata: { labels: labels(view, 'node') },
        spec: {
          enableServiceLinks: false,
          containers: [
            {
              name: 'redis',
              image: view.image,
              command: ['sh', '-c', nodeStartScript(view)],
              env: [
                { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                ...(view.auth ? [secretEnv(view, 'REDIS_PASSWORD'), secretEnv(view, 'REDISCLI_AUTH')] : []),
              ],
              readinessProbe: {
                exec: { command: ['sh', '-c', readinessScript(plan)] },
                periodSeconds: 2,
                timeoutSeconds: 2,
              },
              resources: { requests: { ...NODE_REQUESTS } },
              volumeMounts: [configMount, { name: 'data', mountPath: '/data' }],
            },
          ],
          volumes: [configVolume],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: DATA_VOLUME_SIZE } } },
        },
      ],
    },
  };

  const budget: IPodDisruptionBudget = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(names.budget, 'node'),
    // One node at a time: a master's replica takes over while it is away.
    spec: { maxUnavailable: 1, selector: { matchLabels: selector(view) } },
  };

  const job: IJob = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(names.job, 'init'),
    spec: {
      backoffLimit: JOB_BACKOFF_LIMIT,
      template: {
        metadata: { labels: labels(view, 'init') },
        spec: {
          restartPolicy: 'OnFailure',
          enableServiceLinks: false,
          containers: [
            {
              name: 'form',
              image: view.image,
              command: ['sh', `${CONF_DIR}/${FORM_SCRIPT}`],
              ...(view.auth ? { env: [secretEnv(view, 'REDISCLI_AUTH')] } : {}),
              resources: { requests: { ...JOB_REQUESTS } },
              volumeMounts: [configMount],
            },
          ],
          volumes: [configVolume],
        },
      },
    },
  };

  return [config, service, statefulSet, budget, job] as const;
}

/** The manifests as one multi-document YAML file, through the yaml library (no hand-written YAML). */
function manifestsYaml(plan: ClusterPlan, view: View): string {
  return manifests(plan, view)
    .map((object, i) => {
      const doc = new Document(object, { aliasDuplicateObjects: false });
      if (i === 0) {
        doc.commentBefore =
          ` ${view.header}\n\n Redis Cluster: ${view.summary}, in namespace ${view.namespace}.\n` +
          ` Apply:  kubectl apply -f ${MANIFESTS_FILE}   (see README.md; Kubernetes >= ${MIN_KUBERNETES})`;
      }
      return doc.toString({ lineWidth: 0 });
    })
    .join('---\n');
}

/** Every file of the Kubernetes target: the manifests and README.md (and .gitignore with auth). */
function renderKubernetes(plan: ClusterPlan, settings: TargetSettings): Map<string, string> {
  const view = kubernetesViewModel(plan, settings);
  const files = new Map<string, string>();
  files.set(MANIFESTS_FILE, manifestsYaml(plan, view));
  files.set('README.md', template('kubernetes/README.md.hbs')(view));
  if (view.auth)
    files.set(
      '.gitignore',
      template('shared/gitignore.hbs')({ ...view, tls: false, acl: false, ignored: [view.envFile] }),
    );
  return files;
}

/** The Kubernetes target: manifests of a StatefulSet whose pods are the plan's nodes, and a Job that forms the cluster. */
export const kubernetesTarget: OutputTarget = {
  name: 'kubernetes',
  choice: 'Kubernetes manifests',
  about:
    `Kubernetes manifests (${MANIFESTS_FILE}: a ConfigMap with every redis.conf and the forming script, a headless Service, ` +
    'a StatefulSet whose pods are the planned nodes, a PodDisruptionBudget and a Job that forms the cluster exactly as planned) and README.md; ' +
    'with --auth the nodes read the password from a Secret you create from .env.',
  defaultOut: 'kubernetes/redis-cluster',
  planDefaults: { announce: 'hostname' },
  fixedOptions: {
    announce: 'pods announce their stable DNS names (<pod>.<service>.<namespace>.svc)',
  },
  refusedFlags: {
    [BIND_FLAG]: 'Kubernetes publishes no host ports, clients reach the pods by their DNS names',
    [TLS_FLAG]: NOT_YET,
    [ACL_FILE_FLAG]: NOT_YET,
  },
  executables: new Set(),
  envReader: { of: MANIFESTS_FILE, reader: 'kubectl create secret (see README.md)' },
  render: renderKubernetes,
  listing: (plan) => `${MANIFESTS_FILE}, README.md${plan.options.auth ? `, .gitignore, ${ENV_FILE}` : ''}`,
  whereItRuns(plan) {
    return `a StatefulSet of ${plan.nodes.length} pods (${objectNames(plan).statefulSet}), image ${plan.options.image}`;
  },
  startCommand: (out) => `kubectl apply -f ${join(out, MANIFESTS_FILE)}`,
  startNote: `Kubernetes >= ${MIN_KUBERNETES}; with --auth create the Secret first (README.md)`,
};
