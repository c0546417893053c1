import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CLI_NAMES,
  InvalidOptionError,
  SERVER_NAMES,
  SUPPORTED_ENGINES,
  SUPPORTED_ENGINES_TEXT,
  nodeDirectives,
  renderDirectives,
  type ClusterPlan,
  type Directive,
  type PlannedNode,
} from '@redis-cluster-kit/plan';
import { BIND_FLAG, NAMESPACE_FLAG } from '../flags';
import { ENV_FILE, PASSWORD_ALLOWED, PASSWORD_CHARS_PATTERN, validatePasswordEnv } from '../secret';
import { template } from '../templates';
import type { OutputTarget, TargetSettings } from './target';
import { ACL_FILE, KIT_PASSWORD_ENV, KIT_USER } from '../acl';
import {
  aclDirectives,
  clientSnippets,
  cliOptions,
  clusterJson,
  clusterPicture,
  formingPlan,
  headerLine,
  planLine,
  plannedRole,
  secretFiles,
  TLS_DIR,
  type FormingView,
  type SecurityView,
} from './view';

/** The only address local nodes listen on and announce: they are processes on this machine. */
export const LOCAL_HOST = '127.0.0.1';
/** The script that runs a local cluster, in the output folder. */
export const LOCAL_SCRIPT = 'cluster.sh';
/** The commands of {@link LOCAL_SCRIPT}, in the order its usage lists them. */
export const LOCAL_COMMANDS = ['up', 'start', 'form', 'check', 'status', 'stop', 'clean'] as const;
/** Each node's pid file and log, in its folder (`<port>/redis.pid`, `<port>/redis.log`). */
export const PID_FILE = 'redis.pid';
export const LOG_FILE = 'redis.log';
/**
 * What a running node writes in its folder besides its generated redis.conf: never generated,
 * never compared with generated files, kept when the folder is generated again, listed in the
 * generated .gitignore, and the only things `cluster.sh clean` deletes. `temp-*` are Redis's
 * temporary dump and AOF-rewrite files.
 */
export const RUNTIME_FILES: readonly string[] = [
  'nodes.conf',
  'appendonlydir/',
  'dump.rdb',
  LOG_FILE,
  PID_FILE,
  'temp-*',
];

/** The folder of a node, relative to the output folder: its client port. */
export function nodeFolder(node: PlannedNode): string {
  return String(node.port);
}

/**
 * The redis.conf directives of a local node: the plan's {@link nodeDirectives} for a process
 * that listens on 127.0.0.1 only and keeps everything in its own folder (`dir .`: cluster.sh
 * starts each redis-server in its folder, so the folder can be moved), then:
 * - `cluster-announce-ip 127.0.0.1`: every node is on this machine, for clients and for the bus.
 *   Without it a node learns its own IP only when another node meets it, so a single master
 *   would report itself as `:port` in CLUSTER NODES. (Containers must not announce it: only
 *   local nodes get it.)
 * - `daemonize no`: cluster.sh starts the node in the background itself, so that it knows the
 *   process and sees at once when it exits (a port taken, a bad setting);
 * - a pid file and a log in the node's folder.
 */
export function localDirectives(
  plan: ClusterPlan,
  node: PlannedNode,
  security: SecurityView = { tls: false, acl: false },
): Directive[] {
  return [
    // With --tls and --acl-file, the certificates and the ACL file's copy are in the output folder, one up.
    ...nodeDirectives(plan, node, { dir: '.', bind: LOCAL_HOST, ...(security.tls ? { tlsDir: `../${TLS_DIR}` } : {}) }),
    ...(security.acl ? aclDirectives(`../${ACL_FILE}`) : []),
    ['cluster-announce-ip', LOCAL_HOST],
    ['daemonize', 'no'],
    ['pidfile', PID_FILE],
    ['logfile', LOG_FILE],
  ];
}

/**
 * The values the shared forming code (`templates/partials/form-*.sh.hbs`) prints in cluster.sh:
 * `redis_cli` sends every call to 127.0.0.1 (the shared code names nodes with `-h NAME`, which
 * the Compose network resolves), messages start with `cluster.sh:`, and a node that does not
 * answer is looked up in its log.
 */
const FORMING = {
  cli: 'redis_cli',
  cliLookup: '',
  logPrefix: LOCAL_SCRIPT,
  awaitHint: `$HERE/$2/${LOG_FILE}`,
} as const satisfies FormingView;

/** The plan must fit local processes: nodes announce 127.0.0.1 (their names would not resolve on this machine). */
export function checkLocalPlan(plan: ClusterPlan): void {
  if (plan.options.announce !== 'loopback') {
    throw new InvalidOptionError(
      'announce',
      plan.options.announce,
      '"loopback" for local nodes (they announce 127.0.0.1: node names do not resolve on this machine)',
    );
  }
}

/** Everything the local templates print, computed here: templates only loop and print. */
export function localViewModel(
  plan: ClusterPlan,
  settings: Pick<TargetSettings, 'command' | 'passwordEnv'> & Partial<SecurityView>,
) {
  checkLocalPlan(plan);
  const security: SecurityView = { tls: settings.tls ?? false, acl: settings.acl ?? false };
  const { tls, acl } = security;
  // With an ACL file, the password cluster.sh reads is the generator's own user's.
  const passwordEnv = acl ? KIT_PASSWORD_ENV : validatePasswordEnv(settings.passwordEnv);
  const { command } = settings;
  const header = headerLine(command);
  const auth = plan.options.auth;
  const nodes = plan.nodes.map((n) => ({
    name: n.name,
    number: n.index + 1,
    role: n.role,
    replica: n.role === 'replica',
    port: n.port,
    busPort: n.busPort,
    folder: nodeFolder(n),
    planned: plannedRole(n),
    confLines: renderDirectives(localDirectives(plan, n, security)).split('\n'),
    description:
      `${planLine(n)}. cluster.sh starts redis-server in this folder (paths here are relative to it); ` +
      `it keeps nodes.conf, its data, ${LOG_FILE} and ${PID_FILE} here.` +
      (auth ? ' The password is not in this file: cluster.sh hands it to redis-server on its standard input.' : '') +
      (acl
        ? ` Replicas log in as ${KIT_USER}; its password (masterauth) is handed to redis-server on its standard input.`
        : ''),
  }));
  return {
    header,
    command,
    ...formingPlan(plan),
    ...FORMING,
    nodes,
    auth,
    tls,
    acl,
    // A password cluster.sh reads from .env or the environment: the cluster's (--auth) or the generator's user's (--acl-file).
    secret: auth || acl,
    secretFlag: acl ? '--acl-file' : '--auth',
    // What redis-server reads on its standard input: the password as requirepass and masterauth, or the generator's user's as masterauth.
    serverStdin: acl ? `'masterauth %s\\n' "$PASSWORD"` : `'requirepass %s\\nmasterauth %s\\n' "$PASSWORD" "$PASSWORD"`,
    cliOptions: cliOptions(security, `"$HERE/${TLS_DIR}/ca.crt"`),
    caFile: `${TLS_DIR}/ca.crt`,
    aclFile: ACL_FILE,
    kitUser: KIT_USER,
    kitPasswordEnv: KIT_PASSWORD_ENV,
    passwordEnv,
    ...clientSnippets(auth, passwordEnv, security),
    envFile: ENV_FILE,
    // sh: the variable's value in the environment, or empty.
    passwordExpansion: `\${${passwordEnv}:-}`,
    passwordPattern: `*[!${PASSWORD_CHARS_PATTERN}]*`,
    passwordAllowed: PASSWORD_ALLOWED,
    host: LOCAL_HOST,
    // The node's folder is its port: the address column says both.
    picture: clusterPicture(plan, { title: `address (folder: the port)`, of: (n) => `${LOCAL_HOST}:${n.port}` }),
    script: LOCAL_SCRIPT,
    ports: plan.nodes.map((n) => n.port).join(' '),
    firstPort: plan.nodes[0]!.port,
    lastPort: plan.nodes[plan.nodes.length - 1]!.port,
    firstBusPort: plan.nodes[0]!.busPort,
    lastBusPort: plan.nodes[plan.nodes.length - 1]!.busPort,
    persistence: plan.options.persistence,
    keepsData: plan.options.persistence !== 'none',
    pidFile: PID_FILE,
    logFile: LOG_FILE,
    runtimeFiles: RUNTIME_FILES.join(', '),
    // .gitignore: the runtime files of every node folder (`/*/` = any folder right here), and .env.
    ignored: [
      ...RUNTIME_FILES.map((f) => `/*/${f}`),
      ...(auth ? [`/${ENV_FILE}`] : []),
      ...secretFiles({ ...plan, options: { ...plan.options, auth: false } }, security).map((f) => `/${f}`),
    ],
    // sh words for `rm -rf --` in node folder $d: quoted, but for the globs.
    cleanArgs: RUNTIME_FILES.map((f) => (f.includes('*') ? `"$d"/${f}` : `"$d/${f.replace(/\/$/, '')}"`)).join(' '),
    commands: LOCAL_COMMANDS.join('|'),
    // The server and CLI cluster.sh looks for, and the engines it accepts (the plan's SUPPORTED_ENGINES).
    serverNames: SERVER_NAMES.join(' '),
    cliNames: CLI_NAMES.join(' '),
    supportedEngines: SUPPORTED_ENGINES_TEXT,
    engineMinimums: Object.values(SUPPORTED_ENGINES).map((e) => ({ name: e.name, major: e.min[0], minor: e.min[1] })),
  };
}

/**
 * Render every file of the local set-up: a map from path (relative to the output folder,
 * `/`-separated) to content: `<port>/redis.conf` per node, `cluster.sh`, `cluster.json`,
 * `README.md` and `.gitignore`. Pure apart from reading the templates once.
 * @throws InvalidOptionError when nodes do not announce 127.0.0.1 (see {@link checkLocalPlan}).
 */
function renderLocal(plan: ClusterPlan, settings: TargetSettings): Map<string, string> {
  const view = localViewModel(plan, settings);
  const files = new Map<string, string>();
  for (const node of view.nodes) {
    files.set(
      `${node.folder}/redis.conf`,
      template('shared/redis.conf.hbs')({ header: view.header, description: node.description, lines: node.confLines }),
    );
  }
  files.set(LOCAL_SCRIPT, template('local/cluster.sh.hbs')(view));
  files.set(
    'cluster.json',
    `${JSON.stringify(clusterJson(plan, view.header, LOCAL_HOST, settings.passwordEnv, settings), null, 2)}\n`,
  );
  files.set('README.md', template('local/README.md.hbs')(view));
  files.set('.gitignore', template('local/gitignore.hbs')(view));
  return files;
}

/**
 * The node folders of `out` (named by a port) that are not in `ports` and whose pid file names
 * a live process: nodes an older cluster.sh started, which the new one would not know.
 */
function runningNodesOutside(out: string, ports: ReadonlySet<string>): string[] {
  let entries: string[];
  try {
    entries = readdirSync(out);
  } catch {
    return [];
  }
  return entries
    .filter((name) => /^\d+$/.test(name) && !ports.has(name))
    .filter((name) => {
      try {
        const pid = Number(readFileSync(join(out, name, PID_FILE), 'utf8').trim());
        if (!Number.isInteger(pid) || pid <= 0) return false;
        process.kill(pid, 0);
        return true;
      } catch (e) {
        // EPERM: alive, another user's process.
        return (e as NodeJS.ErrnoException).code === 'EPERM';
      }
    })
    .sort((a, b) => Number(a) - Number(b));
}

/** The local target: a folder per port for redis-server processes on this machine, run by cluster.sh; no Docker. */
export const localTarget: OutputTarget = {
  name: 'local',
  choice: `a folder per port and ${LOCAL_SCRIPT} for local redis-server processes`,
  about:
    'the same cluster as redis-server processes on this machine, no Docker: a folder per port with its redis.conf, ' +
    `${LOCAL_SCRIPT} (${LOCAL_COMMANDS.join(', ')}), cluster.json, README.md and a .gitignore.`,
  defaultOut: 'local/redis-cluster',
  // Local nodes announce 127.0.0.1: they are processes on this machine, reached there with no
  // address mapping (names would not resolve).
  planDefaults: { announce: 'loopback' },
  fixedOptions: { announce: `local nodes announce ${LOCAL_HOST}, their names do not resolve on this machine` },
  refusedFlags: {
    '--image': 'local nodes run the redis-server on PATH (or REDIS_SERVER)',
    [BIND_FLAG]: `local nodes listen on ${LOCAL_HOST} only`,
    [NAMESPACE_FLAG]: 'only Kubernetes objects have one',
  },
  executables: new Set([LOCAL_SCRIPT]),
  envReader: { of: LOCAL_SCRIPT, reader: LOCAL_SCRIPT },
  render: renderLocal,
  listing: (plan) =>
    `${plan.nodes.length} x <port>/redis.conf, ${LOCAL_SCRIPT}, cluster.json, README.md, .gitignore${plan.options.auth ? `, ${ENV_FILE}` : ''}`,
  whereItRuns(plan) {
    const first = plan.nodes[0]!;
    const last = plan.nodes[plan.nodes.length - 1]!;
    return `local redis-server processes on ${LOCAL_HOST}, ports ${first.port}-${last.port}, bus ports ${first.busPort}-${last.busPort}`;
  },
  startCommand: (out) => `sh ${join(out, LOCAL_SCRIPT)} up`,
  startNote: 'redis-server and redis-cli (or valkey-server and valkey-cli) from PATH, or REDIS_SERVER, REDIS_CLI',
  conflicts(out, plan, changing) {
    const reasons = new Map<string, string>();
    if (changing.includes(LOCAL_SCRIPT)) {
      // The new cluster.sh knows only the new plan's nodes: running nodes of other ports would be orphaned.
      const orphans = runningNodesOutside(out, new Set(plan.nodes.map((n) => String(n.port))));
      if (orphans.length > 0) {
        reasons.set(
          LOCAL_SCRIPT,
          `nodes that the new plan does not have still run (${orphans.map((p) => join(out, p)).join(', ')}): stop them first (sh ${join(out, LOCAL_SCRIPT)} stop), or use --force to leave them running`,
        );
      }
    }
    return reasons;
  },
};
