import { InvalidOptionError, nodeDirectives, renderDirectives, type ClusterPlan, type Directive, type PlannedNode } from '@redis-cluster-kit/plan';
import { BIN_PROGRAM, regenerateCommand } from './flags';
import { clusterJson, formingPlan, headerLine, planLine, plannedRole, PASSWORD_ENV_VAR, type FormingView } from './render';
import { ENV_FILE, PASSWORD_ALLOWED, PASSWORD_CHARS_PATTERN, validatePasswordEnv } from './secret';
import { template } from './templates';

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
export const RUNTIME_FILES: readonly string[] = ['nodes.conf', 'appendonlydir/', 'dump.rdb', LOG_FILE, PID_FILE, 'temp-*'];

/** Options of {@link renderLocalFiles}. */
export interface LocalRenderOptions {
  /** The command line that regenerates these files, written into every header. @default the `redis-cluster-compose --target local` command for this plan */
  command?: string;
  /** With `auth`: the variable holding the password, in the environment or `.env`. @default "REDIS_PASSWORD" */
  passwordEnv?: string;
}

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
export function localDirectives(plan: ClusterPlan, node: PlannedNode): Directive[] {
  return [
    ...nodeDirectives(plan, node, { dir: '.', bind: LOCAL_HOST }),
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
  logPrefix: LOCAL_SCRIPT,
  awaitHint: `$HERE/$2/${LOG_FILE}`,
} as const satisfies FormingView;

/** The plan must fit local processes: nodes announce 127.0.0.1 (their names would not resolve on this machine). */
export function checkLocalPlan(plan: ClusterPlan): void {
  if (plan.options.announce !== 'loopback') {
    throw new InvalidOptionError('announce', plan.options.announce, '"loopback" for local nodes (they announce 127.0.0.1: node names do not resolve on this machine)');
  }
}

/** Everything the local templates print, computed here: templates only loop and print. */
export function localViewModel(plan: ClusterPlan, options: LocalRenderOptions = {}) {
  checkLocalPlan(plan);
  const passwordEnv = validatePasswordEnv(options.passwordEnv ?? PASSWORD_ENV_VAR);
  const command = options.command ?? regenerateCommand(plan.options, { target: 'local', passwordEnv }, BIN_PROGRAM);
  if (/[\r\n]/.test(command)) throw new InvalidOptionError('command', command, 'a single line');
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
    confLines: renderDirectives(localDirectives(plan, n)).split('\n'),
    description:
      `${planLine(n)}. cluster.sh starts redis-server in this folder (paths here are relative to it); ` +
      `it keeps nodes.conf, its data, ${LOG_FILE} and ${PID_FILE} here.` +
      (auth ? ' The password is not in this file: cluster.sh hands it to redis-server on its standard input.' : ''),
  }));
  return {
    header,
    command,
    ...formingPlan(plan),
    ...FORMING,
    nodes,
    auth,
    passwordEnv,
    envFile: ENV_FILE,
    // sh: the variable's value in the environment, or empty.
    passwordExpansion: `\${${passwordEnv}:-}`,
    passwordPattern: `*[!${PASSWORD_CHARS_PATTERN}]*`,
    passwordAllowed: PASSWORD_ALLOWED,
    host: LOCAL_HOST,
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
    ignored: [...RUNTIME_FILES.map((f) => `/*/${f}`), ...(auth ? [`/${ENV_FILE}`] : [])],
    // sh words for `rm -rf --` in node folder $d: quoted, but for the globs.
    cleanArgs: RUNTIME_FILES.map((f) => (f.includes('*') ? `"$d"/${f}` : `"$d/${f.replace(/\/$/, '')}"`)).join(' '),
    commands: LOCAL_COMMANDS.join('|'),
  };
}

export type LocalViewModel = ReturnType<typeof localViewModel>;

/**
 * Render every file of the local set-up: a map from path (relative to the output folder,
 * `/`-separated) to content: `<port>/redis.conf` per node, `cluster.sh`, `cluster.json`,
 * `README.md` and `.gitignore`. Pure apart from reading the templates once.
 * @throws InvalidOptionError when nodes do not announce 127.0.0.1 (see {@link checkLocalPlan}).
 */
export function renderLocalFiles(plan: ClusterPlan, options: LocalRenderOptions = {}): Map<string, string> {
  const view = localViewModel(plan, options);
  const files = new Map<string, string>();
  for (const node of view.nodes) {
    files.set(`${node.folder}/redis.conf`, template('shared/redis.conf.hbs')({ header: view.header, description: node.description, lines: node.confLines }));
  }
  files.set(LOCAL_SCRIPT, template('local/cluster.sh.hbs')(view));
  files.set('cluster.json', `${JSON.stringify(clusterJson(plan, view.header, LOCAL_HOST, view.passwordEnv), null, 2)}\n`);
  files.set('README.md', template('local/README.md.hbs')(view));
  files.set('.gitignore', template('local/gitignore.hbs')(view));
  return files;
}
