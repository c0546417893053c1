import { join } from 'node:path';
import { Document } from 'yaml';
import {
  CLI_LOOKUP,
  IMAGE_ENV_VAR,
  imageFromEnv,
  nodeDirectives,
  renderDirectives,
  type ClusterPlan,
  type PlannedNode,
} from '@redis-cluster-kit/plan';
import {
  ACL_FILE_FLAG,
  BIND_FLAG,
  NAMESPACE_FLAG,
  NOT_YET,
  PASSWORD_ENV_FLAG,
  PASSWORD_STDIN_FLAG,
  TLS_FLAG,
} from '../flags';
import { DEFAULT_PASSWORD_ENV } from '../secret';
import { template } from '../templates';
// The same service name and config path as the Compose stack: in a swarm the init service is a
// replicated job (it runs to completion) and each redis.conf is a swarm config.
import { CONF_PATH, INIT_SERVICE, SERVER_COMMAND } from './compose';
import type { OutputTarget, TargetSettings } from './target';
import { clusterJson, clusterPicture, formingPlan, headerLine, planLine, type FormingView } from './view';

/** The stack file, deployed with `docker stack deploy -c`. */
export const STACK_FILE = 'stack.yaml';
/** The stack's overlay network (`<stack>_redis-cluster` once deployed), attachable for `docker run --network`. */
export const SWARM_NETWORK = 'redis-cluster';
export const SWARM_INIT_PATH = '/usr/local/etc/redis/init-cluster.sh';
/** The stack name the README's commands use. */
export const DEFAULT_STACK = 'redis-cluster';
/** The oldest Docker CLI whose `docker stack deploy` takes `mode: replicated-job`. */
export const MIN_DOCKER_CLI = '23.0';
/** How often a failed init task is started again (each try forms from where the last one stopped). */
export const INIT_MAX_ATTEMPTS = 5;

/** The values the shared forming code prints in the init job's script: names resolve in the overlay network. */
const FORMING = {
  cli: '"$CLI"',
  cliLookup: CLI_LOOKUP,
  logPrefix: INIT_SERVICE,
  awaitHint: `docker service logs ${DEFAULT_STACK}_$1`,
} as const satisfies FormingView;

/** The names a node has in the stack file. */
export function swarmNames(node: PlannedNode) {
  return { config: `${node.name}-conf`, volume: `${node.name}-data` };
}

/** Everything the swarm templates and the stack file print, computed here. */
export function swarmViewModel(plan: ClusterPlan, settings: Pick<TargetSettings, 'command'>) {
  const header = headerLine(settings.command);
  const nodes = plan.nodes.map((n) => ({
    name: n.name,
    number: n.index + 1,
    role: n.role,
    port: n.port,
    busPort: n.busPort,
    ...swarmNames(n),
    confLines: renderDirectives(nodeDirectives(plan, n)).split('\n'),
    description: `${planLine(n)}. A swarm config, at ${CONF_PATH} in the service's container; data and nodes.conf in /data (its volume).`,
  }));
  return {
    header,
    command: settings.command,
    nodes,
    first: nodes[0]!,
    // Client ports are published in host mode: on whichever swarm node runs the task.
    picture: clusterPicture(plan, { title: 'client port (host mode)', of: (n) => `port ${n.port}` }),
    image: plan.options.image,
    imageExpression: `\${${IMAGE_ENV_VAR}:-${plan.options.image}}`,
    imageEnv: IMAGE_ENV_VAR,
    stack: DEFAULT_STACK,
    stackFile: STACK_FILE,
    network: SWARM_NETWORK,
    initName: INIT_SERVICE,
    minCli: MIN_DOCKER_CLI,
    ...formingPlan(plan),
    ...FORMING,
  };
}

type View = ReturnType<typeof swarmViewModel>;

/**
 * The stack file as data: one service per node (its name as hostname, `dnsrr`: no virtual IP,
 * which needs IPVS; its client port published in host mode on the swarm node it runs on, not
 * through the routing mesh), a replicated job that forms the cluster, an attachable overlay
 * network, a config per redis.conf and a volume per node.
 */
export function stackFile(view: View) {
  const network = [SWARM_NETWORK];
  const services: Record<string, unknown> = {};
  for (const n of view.nodes) {
    services[n.name] = {
      image: view.imageExpression,
      hostname: n.name,
      command: [...SERVER_COMMAND, CONF_PATH],
      configs: [{ source: n.config, target: CONF_PATH }],
      volumes: [{ type: 'volume', source: n.volume, target: '/data' }],
      networks: network,
      ports: [{ target: n.port, published: n.port, protocol: 'tcp', mode: 'host' }],
      deploy: {
        mode: 'replicated',
        replicas: 1,
        endpoint_mode: 'dnsrr',
        // Started again wherever it stopped: nodes.conf in its volume keeps its identity.
        restart_policy: { condition: 'any', delay: '1s' },
      },
    };
  }
  services[INIT_SERVICE] = {
    image: view.imageExpression,
    command: ['sh', SWARM_INIT_PATH],
    configs: [{ source: 'init-cluster', target: SWARM_INIT_PATH }],
    networks: network,
    deploy: {
      mode: 'replicated-job',
      replicas: 1,
      restart_policy: { condition: 'on-failure', delay: '2s', max_attempts: INIT_MAX_ATTEMPTS },
    },
  };
  return {
    // 3.9: the stack format whose schema has `replicated-job` (Docker CLI >= 23).
    version: '3.9',
    services,
    networks: { [SWARM_NETWORK]: { driver: 'overlay', attachable: true } },
    configs: {
      ...Object.fromEntries(view.nodes.map((n) => [n.config, { file: `./nodes/${n.name}/redis.conf` }])),
      'init-cluster': { file: './init-cluster.sh' },
    },
    volumes: Object.fromEntries(view.nodes.map((n) => [n.volume, {}])),
  };
}

/** Every file of the swarm target: stack.yaml, a redis.conf per node, init-cluster.sh, cluster.json, README.md. */
function renderSwarm(plan: ClusterPlan, settings: TargetSettings): Map<string, string> {
  const view = swarmViewModel(plan, settings);
  const files = new Map<string, string>();
  const doc = new Document(stackFile(view), { aliasDuplicateObjects: false });
  doc.commentBefore =
    ` ${view.header}\n\n Redis Cluster: ${view.summary}, as a Docker Swarm stack (Docker CLI >= ${MIN_DOCKER_CLI}).\n` +
    ` Deploy: docker stack deploy -c ${STACK_FILE} ${DEFAULT_STACK}   Remove: docker stack rm ${DEFAULT_STACK}   (see README.md)`;
  files.set(STACK_FILE, doc.toString({ lineWidth: 0 }));
  for (const node of view.nodes) {
    files.set(
      `nodes/${node.name}/redis.conf`,
      template('shared/redis.conf.hbs')({ header: view.header, description: node.description, lines: node.confLines }),
    );
  }
  files.set('init-cluster.sh', template('swarm/init-cluster.sh.hbs')(view));
  files.set(
    'cluster.json',
    `${JSON.stringify(clusterJson(plan, view.header, '127.0.0.1', DEFAULT_PASSWORD_ENV), null, 2)}\n`,
  );
  files.set('README.md', template('swarm/README.md.hbs')(view));
  return files;
}

const NO_PASSWORD = 'the swarm stack has no password support yet (keep its ports off untrusted networks)';

/** The swarm target: a Docker Swarm stack, one service per node, formed by a replicated job. */
export const swarmTarget: OutputTarget = {
  name: 'swarm',
  choice: 'a Docker Swarm stack',
  about:
    `a Docker Swarm stack (${STACK_FILE}: one service per node with host-mode ports, an attachable overlay network, ` +
    'a config per redis.conf, a volume per node, and a replicated job that forms the cluster exactly as planned), ' +
    'the redis.conf files, init-cluster.sh, cluster.json and README.md.',
  defaultOut: 'swarm/redis-cluster',
  planDefaults: { announce: 'hostname' },
  fixedOptions: { announce: 'nodes announce their service names, which resolve in the overlay network' },
  refusedFlags: {
    [BIND_FLAG]: 'swarm publishes host-mode ports on every address of the swarm node',
    [NAMESPACE_FLAG]: 'only Kubernetes objects have one',
    '--auth': NO_PASSWORD,
    [PASSWORD_ENV_FLAG]: NO_PASSWORD,
    [PASSWORD_STDIN_FLAG]: NO_PASSWORD,
    [TLS_FLAG]: NOT_YET,
    [ACL_FILE_FLAG]: NOT_YET,
  },
  executables: new Set(['init-cluster.sh']),
  envReader: { of: STACK_FILE, reader: 'docker stack deploy' },
  render: renderSwarm,
  listing: (plan) =>
    `${STACK_FILE}, ${plan.nodes.length} x nodes/*/redis.conf, init-cluster.sh, cluster.json, README.md`,
  whereItRuns(plan, { env }) {
    const envImage = env[IMAGE_ENV_VAR] ? imageFromEnv(env) : undefined;
    const first = plan.nodes[0]!;
    const last = plan.nodes[plan.nodes.length - 1]!;
    return `a swarm stack, host-mode ports ${first.port}-${last.port}${envImage ? `, image ${envImage} (from ${IMAGE_ENV_VAR})` : `, image ${plan.options.image}`}`;
  },
  startCommand: (out) => `docker stack deploy -c ${join(out, STACK_FILE)} ${DEFAULT_STACK}`,
  startNote: `in a swarm (docker swarm init); Docker CLI >= ${MIN_DOCKER_CLI}`,
};
