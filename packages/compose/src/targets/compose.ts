import { join } from 'node:path';
import {
  CLI_LOOKUP,
  CLI_NAMES,
  IMAGE_ENV_VAR,
  SERVER_LAUNCH_SCRIPT,
  imageFromEnv,
  nodeDirectives,
  renderDirectives,
  tlsFileNames,
  type ClusterPlan,
  type PlannedNode,
} from '@redis-cluster-kit/plan';
import { ACL_FILE, KIT_PASSWORD_ENV, KIT_USER } from '../acl';
import { NAMESPACE_FLAG, validateBind } from '../flags';
import { COMPOSE_ENV_READER, ENV_FILE, validatePasswordEnv } from '../secret';
import { template } from '../templates';
import type { OutputTarget, TargetSettings } from './target';
import {
  aclDirectives,
  clientSnippets,
  cliOptions,
  clusterJson,
  clusterPicture,
  formingPlan,
  headerLine,
  planLine,
  secretFiles,
  TLS_DIR,
  type FormingView,
} from './view';

/** Name of the one service that is not a node: it forms the cluster, then stays up idle. */
export const INIT_SERVICE = 'redis-cluster-init';
/** Where each node's redis.conf and the init script are mounted in the containers. */
export const CONF_PATH = '/usr/local/etc/redis/redis.conf';
export const INIT_SCRIPT_PATH = '/usr/local/etc/redis/init-cluster.sh';
/** With `--tls`: where the CA's certificate and a node's own certificate and key are mounted (read-only, one file each). */
export const TLS_PATH = '/usr/local/etc/redis/tls';
/** With `--acl-file`: where the copy of the ACL file is mounted (read-only) in every node. */
export const ACL_PATH = `/usr/local/etc/redis/${ACL_FILE}`;
/**
 * With an ACL file, how a node's server is started: as {@link SERVER_LAUNCH_SCRIPT}, with `-` after
 * the config file and `masterauth` on standard input from REDISCLI_AUTH (a here-document: the
 * password is in no argument list and no file), still one exec (the server is the container's
 * process and gets its signals).
 */
export const SERVER_LAUNCH_SCRIPT_WITH_MASTERAUTH = withStdinConfig(SERVER_LAUNCH_SCRIPT, ['masterauth']);

/**
 * With `--auth`, the same with `requirepass` and `masterauth` on standard input: the password was
 * once in the server's arguments (`--requirepass ...`), where `ps` on the host showed it. It is
 * REDISCLI_AUTH in the node's environment, and has only characters redis.conf takes as they are
 * (secret.ts, PASSWORD_CHARS_PATTERN).
 */
export const SERVER_LAUNCH_SCRIPT_WITH_PASSWORD = withStdinConfig(SERVER_LAUNCH_SCRIPT, ['requirepass', 'masterauth']);

function withStdinConfig(script: string, directives: readonly string[]): string {
  const exec = 'exec "$s" "$@"; fi;';
  if (!script.includes(exec)) throw new Error('SERVER_LAUNCH_SCRIPT changed: update withStdinConfig');
  const lines = directives.map((d) => `${d} $REDISCLI_AUTH\n`).join('');
  return script.replace(exec, `exec "$s" "$@" - <<EOF\n${lines}EOF\nfi;`);
}
/** The host address a client on the host reaches the published ports at (0.0.0.0 is reached at 127.0.0.1). */
function hostAddress(bind: string): string {
  return bind === '0.0.0.0' ? '127.0.0.1' : bind;
}

/** A YAML double-quoted scalar (a JSON string is one). Every string value goes through this. */
const q = (value: string): string => JSON.stringify(value);
/** A YAML flow sequence of strings. */
const seq = (values: readonly string[]): string => `[${values.map(q).join(', ')}]`;
/** Compose interpolates `$` in every string: a literal `$` is written `$$`. */
const composeLiteral = (value: string): string => value.replace(/\$/g, '$$$$');

/**
 * What comes before a node's config file in its command: `sh -c` runs the image's
 * `redis-server`, or its `valkey-server` where it has only Valkey's names (`$0`: redis-server).
 */
export const SERVER_COMMAND = ['sh', '-c', composeLiteral(SERVER_LAUNCH_SCRIPT), 'redis-server'] as const;

/**
 * How each node's healthcheck is run. Docker (20.10 has no `start_interval`) runs the first probe
 * one `interval` after the container started, and the next ones an `interval` after each probe
 * ended. A master cannot be ok before Redis's 2 s writable delay (CLUSTER_WRITABLE_DELAY) has
 * passed since it started, so a first probe at 2 s costs nothing; that probe then waits for the
 * node to become usable (polling every ~0.1 s, at most {@link HEALTH_PROBE_POLLS} times), so the
 * node turns healthy within ~0.1 s of being usable instead of on the next tick. On a running
 * cluster a probe answers at once: one probe per node every 2 s.
 * A node turns unhealthy only after `start_period` and then `retries` failed probes (each up to
 * ~4 s + `interval`): ~150 s, past the init step's own error (its ready timeout, 120 s).
 */
export const HEALTHCHECK = { interval: '2s', timeout: '10s', retries: 15, startPeriod: '60s' } as const;
/** How many times a probe polls (~0.1 s apart) for its node to become usable before it fails. */
export const HEALTH_PROBE_POLLS = 40;

/**
 * The healthcheck of a node, as `sh` code (before Compose's `$` escaping): the node is usable.
 * Only `case` patterns, because the image may have no grep. Redis ends INFO lines with \r\n, so
 * the known-nodes count is followed by a non-digit (6 must not match 60). It polls (see
 * {@link HEALTHCHECK}): `sleep 0.1`, or where the image has no `sleep`, a PING with redis-cli's
 * `-i 0.1` (it waits that long after the reply; a node that does not answer fails the probe
 * sooner). `polls`: how many times it asks before it fails.
 */
export function healthcheckScript(
  plan: ClusterPlan,
  node: PlannedNode,
  polls = HEALTH_PROBE_POLLS,
  cliExtra = '',
): string {
  const n = plan.nodes.length;
  // The image's CLI: redis-cli, or valkey-cli where it has only Valkey's names (cliExtra: TLS, the generator's user).
  const cli = `"$c"${cliExtra} -p ${node.port}`;
  // A replica's two replies in one redis-cli call (commands on stdin): one process less per probe.
  const ask = node.role === 'replica' ? `printf 'CLUSTER INFO\\nINFO replication\\n' | ${cli}` : `${cli} CLUSTER INFO`;
  const checks = [
    `s=$(${ask} 2>&1) || { why="$s"; return 1; }`,
    `case "$s" in *cluster_state:ok*) ;; *) why="cluster_state is not ok"; return 1 ;; esac`,
    `case "$s" in *cluster_slots_assigned:16384*) ;; *) why="not all slots are assigned"; return 1 ;; esac`,
    `case "$s" in *"cluster_known_nodes:${n}"[!0-9]*) ;; *) why="does not know exactly ${n} nodes"; return 1 ;; esac`,
  ];
  if (node.role === 'replica') {
    checks.push(`case "$s" in *master_link_status:up*) ;; *) why="the link to the master is down"; return 1 ;; esac`);
  }
  return [
    `c=$(${CLI_LOOKUP}) || { echo "neither ${CLI_NAMES.join(' nor ')} is on PATH"; exit 1; }`,
    `usable() { ${checks.join('; ')}; }`,
    `i=0`,
    `until usable; do i=$((i + 1)); [ "$i" -lt ${polls} ] || { echo "$why"; exit 1; }; sleep 0.1 2>/dev/null || ${cli} -r 1 -i 0.1 PING >/dev/null 2>&1; done`,
  ].join('; ');
}

/**
 * The values the shared forming code (`templates/partials/form-*.sh.hbs`) prints in the Compose
 * init script: redis-cli reaches every node by name in the Compose network.
 */
const FORMING = {
  cli: '"$CLI"', // and cliOptions(): TLS, the generator's user
  cliLookup: CLI_LOOKUP,
  logPrefix: INIT_SERVICE,
  awaitHint: 'docker compose logs $1',
} as const satisfies FormingView;

/** Everything the templates print, computed here: templates only loop and print. */
export function viewModel(plan: ClusterPlan, settings: TargetSettings) {
  const bind = validateBind(settings.bind);
  const passwordEnv = validatePasswordEnv(settings.passwordEnv);
  const { command } = settings;
  const header = headerLine(command);
  const auth = plan.options.auth;
  // Compose substitutes the variable when it runs, and stops with this message when it is unset.
  const password = `\${${passwordEnv}:?set ${passwordEnv} in ${ENV_FILE}}`;
  const number = (n: PlannedNode) => n.index + 1;
  // Compose picks the image when it runs: REDIS_CLUSTER_IMAGE if set, else the planned one.
  const imageExpression = `\${${IMAGE_ENV_VAR}:-${plan.options.image}}`;
  const { tls, acl } = settings;
  const cliExtra = cliOptions(settings, `${TLS_PATH}/ca.crt`);
  // With an ACL file: the generator's user's password, which redis-cli and masterauth read from REDISCLI_AUTH.
  const kitPassword = `\${${KIT_PASSWORD_ENV}:?set ${KIT_PASSWORD_ENV} in ${ENV_FILE}}`;
  const tlsMounts = (n: PlannedNode) => {
    const f = tlsFileNames(n);
    return [f.ca, f.cert, f.key].map((file) => q(`./${TLS_DIR}/${file}:${TLS_PATH}/${file}:ro`));
  };

  const nodes = plan.nodes.map((n) => ({
    name: n.name,
    number: number(n),
    role: n.role,
    replica: n.role === 'replica',
    port: n.port,
    busPort: n.busPort,
    command: seq([
      ...(acl
        ? ['sh', '-c', composeLiteral(SERVER_LAUNCH_SCRIPT_WITH_MASTERAUTH), 'redis-server']
        : auth
          ? ['sh', '-c', composeLiteral(SERVER_LAUNCH_SCRIPT_WITH_PASSWORD), 'redis-server']
          : SERVER_COMMAND),
      CONF_PATH,
    ]),
    portMapping: q(`${bind}:${n.port}:${n.port}`),
    mounts: [
      q(`./nodes/${n.name}/redis.conf:${CONF_PATH}:ro`),
      ...(tls ? tlsMounts(n) : []),
      ...(acl ? [q(`./${ACL_FILE}:${ACL_PATH}:ro`)] : []),
    ],
    volume: `${n.name}-data`,
    dataMount: q(`${n.name}-data:/data`),
    healthcheck: seq(['CMD-SHELL', composeLiteral(healthcheckScript(plan, n, HEALTH_PROBE_POLLS, cliExtra))]),
    confLines: renderDirectives([
      ...nodeDirectives(plan, n, tls ? { tlsDir: TLS_PATH } : {}),
      ...(acl ? aclDirectives(ACL_PATH) : []),
    ]).split('\n'),
    description: `${planLine(n)}. Mounted read-only at ${CONF_PATH}; data and nodes.conf in /data.`,
  }));

  return {
    header,
    command,
    passwordEnv,
    passwordRef: `\${${passwordEnv}}`,
    envFile: ENV_FILE,
    auth,
    bind,
    hostAddress: hostAddress(bind),
    picture: clusterPicture(plan, {
      title: `host port (${hostAddress(bind)})`,
      of: (n) => `${hostAddress(bind)}:${n.port}`,
    }),
    image: q(imageExpression),
    imageExpression,
    // With auth, redis-cli (healthchecks, init) authenticates through REDISCLI_AUTH; with an ACL
    // file as the generator's user, whose password is also the replicas' masterauth.
    environment: auth ? [`REDISCLI_AUTH: ${q(password)}`] : acl ? [`REDISCLI_AUTH: ${q(kitPassword)}`] : [],
    tls,
    acl,
    aclFile: ACL_FILE,
    kitUser: KIT_USER,
    kitPasswordEnv: KIT_PASSWORD_ENV,
    caFile: `${TLS_DIR}/ca.crt`,
    caPath: `${TLS_PATH}/ca.crt`,
    cliTls: cliOptions({ tls, acl: false }, `${TLS_PATH}/ca.crt`),
    ...clientSnippets(auth, passwordEnv, settings),
    nodes,
    health: HEALTHCHECK,
    ...formingPlan(plan),
    init: {
      name: INIT_SERVICE,
      command: seq(['sh', INIT_SCRIPT_PATH]),
      mounts: [
        q(`./init-cluster.sh:${INIT_SCRIPT_PATH}:ro`),
        ...(tls ? [q(`./${TLS_DIR}/ca.crt:${TLS_PATH}/ca.crt:ro`)] : []),
      ],
    },
    initName: INIT_SERVICE,
    // The forming code shared with the local target (templates/partials/form-*.sh.hbs):
    // how it calls redis-cli, how it prefixes its messages, where a silent node's log is.
    ...FORMING,
    cli: `${FORMING.cli}${cliExtra}`,
    firstNode: { name: plan.nodes[0]!.name, port: plan.nodes[0]!.port },
    inNetworkNodes: plan.nodes.map((n) => `\`${n.name}:${n.port}\``).join(', '),
    hostnameAnnounce: plan.options.announce === 'hostname',
    announceDescription:
      plan.options.announce === 'hostname'
        ? `their names (\`${plan.nodes[0]!.name}:${plan.nodes[0]!.port}\` and so on, resolvable inside the Compose network)`
        : '127.0.0.1 and their client port',
  };
}

/**
 * Render every file of the Compose set-up: a map from path (relative to the output folder,
 * `/`-separated) to content. Pure apart from reading the templates once.
 */
function renderCompose(plan: ClusterPlan, settings: TargetSettings): Map<string, string> {
  const view = viewModel(plan, settings);
  const files = new Map<string, string>();
  files.set('compose.yaml', template('compose/compose.yaml.hbs')(view));
  for (const node of view.nodes) {
    files.set(
      `nodes/${node.name}/redis.conf`,
      template('shared/redis.conf.hbs')({ header: view.header, description: node.description, lines: node.confLines }),
    );
  }
  files.set('init-cluster.sh', template('compose/init-cluster.sh.hbs')(view));
  files.set(
    'cluster.json',
    `${JSON.stringify(clusterJson(plan, view.header, view.hostAddress, view.passwordEnv, settings), null, 2)}\n`,
  );
  files.set('README.md', template('compose/README.md.hbs')(view));
  const ignored = secretFiles(plan, settings);
  if (ignored.length > 0) files.set('.gitignore', template('shared/gitignore.hbs')({ ...view, ignored }));
  return files;
}

/** The Compose target: a Docker Compose set-up, the nodes in containers, formed by an init service. */
export const composeTarget: OutputTarget = {
  name: 'compose',
  choice: 'a Docker Compose set-up',
  about:
    'a Docker Compose set-up for a Redis Cluster: compose.yaml, one redis.conf per node, ' +
    'init-cluster.sh (forms the cluster exactly as planned), cluster.json (plan, startupNodes, natMap) and README.md; ' +
    'with --auth also .env (the password, mode 0600) and a .gitignore that lists it.',
  defaultOut: 'compose/redis-cluster',
  planDefaults: {},
  fixedOptions: {},
  refusedFlags: { [NAMESPACE_FLAG]: 'only Kubernetes objects have one' },
  executables: new Set(['init-cluster.sh']),
  envReader: COMPOSE_ENV_READER,
  render: renderCompose,
  listing: (plan) =>
    `compose.yaml, ${plan.nodes.length} x nodes/*/redis.conf, init-cluster.sh, cluster.json, README.md${plan.options.auth ? ', .gitignore, .env' : ''}`,
  whereItRuns(plan, { bind, env }) {
    // The environment's image is used when Compose runs; a bad value is caught here already.
    const envImage = env[IMAGE_ENV_VAR] ? imageFromEnv(env) : undefined;
    const first = plan.nodes[0]!;
    const last = plan.nodes[plan.nodes.length - 1]!;
    return `ports ${first.port}-${last.port} on ${bind}${envImage ? `, image ${envImage} (from ${IMAGE_ENV_VAR})` : `, image ${plan.options.image}`}`;
  },
  startCommand: (out) => `docker compose -f ${join(out, 'compose.yaml')} up -d --wait`,
  helpNote: `The image is written as \${${IMAGE_ENV_VAR}:-<image>}: ${IMAGE_ENV_VAR} set when Compose runs picks another one.`,
};
