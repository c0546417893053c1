/**
 * The soak's CPU hog: one child process that keeps one core busy, so that the start path,
 * readiness and the fault helpers run on a machine as busy as a user's CI runner.
 *
 * A bounded busy loop in a Node child rather than Debian's `stress-ng`: it needs nothing
 * installed (a fresh machine has Node, not stress-ng), and it cannot outlive the soak. It spins
 * in 50 ms slices and, between slices, lets Node read its IPC channel: when the soak ends in any
 * way (also SIGKILL, which no handler sees) the channel closes and the hog exits; and it exits by
 * itself after `maxMs` in any case. The soak also kills it on exit, on Ctrl-C and on failure.
 *
 * It runs at the same priority as everything else (not niced): a niced hog would yield to the
 * tests and prove nothing. On stop it reports the CPU time it used, so the soak can show that
 * it really kept a core busy.
 */
import { fork, type ChildProcess } from 'node:child_process';

/** How long one busy slice lasts before the hog looks at its IPC channel. */
const SLICE_MS = 50;
/** What the hog child does when run with this argument. */
const CHILD_ARG = '--soak-hog-child';

/** What the hog reports when asked to stop. */
export interface HogReport {
  /** Wall-clock time the hog ran. */
  wallMs: number;
  /** CPU time it used (user + system). */
  cpuMs: number;
}

export class Hog {
  readonly #child: ChildProcess;
  #stopped: Promise<HogReport | undefined> | undefined;

  /** It exited before {@link stop} was called (killed, crashed, or at its deadline): the load was not there all along. */
  endedEarly = false;

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.once('exit', () => {
      if (this.#stopped === undefined) this.endedEarly = true;
    });
  }

  /** Starts the hog; it is busy once this resolves. It exits by itself after `maxMs`. */
  static async start(maxMs: number): Promise<Hog> {
    // The same Node and loader (ts-node) as the soak; the IPC channel is what ties its life to ours.
    const child = fork(__filename, [CHILD_ARG, String(maxMs)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const hog = new Hog(child);
    live.add(hog);
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code, signal) =>
        reject(new Error(`the CPU hog exited at once (${signal ?? `code ${code}`})`)),
      );
    });
    return hog;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Stops the hog and waits until it has exited; what it used, when it could still say. */
  stop(): Promise<HogReport | undefined> {
    this.#stopped ??= new Promise((resolve) => {
      live.delete(this);
      const child = this.#child;
      if (child.exitCode !== null || child.signalCode !== null) return resolve(undefined);
      let report: HogReport | undefined;
      child.on('message', (m: unknown) => {
        if (typeof m === 'object' && m !== null && 'cpuMs' in m) report = m as HogReport;
      });
      child.once('exit', () => resolve(report));
      // A hog that does not answer within a few slices is killed.
      const kill = setTimeout(() => child.kill('SIGKILL'), 20 * SLICE_MS);
      child.once('exit', () => clearTimeout(kill));
      if (child.connected) child.send('stop');
      else child.kill('SIGKILL');
    });
    return this.#stopped;
  }

  /** Synchronous last resort (process 'exit' handlers cannot wait). */
  kill(): void {
    live.delete(this);
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
  }
}

/** Hogs not stopped yet: killed when the soak exits, however it exits. */
const live = new Set<Hog>();
process.on('exit', () => {
  for (const hog of live) hog.kill();
});

/** The child: spin until told to stop, until the soak is gone, or until `maxMs` have passed. */
function runChild(maxMs: number): void {
  const started = Date.now();
  const deadline = started + maxMs;
  const cpu0 = process.cpuUsage();
  const report = (): HogReport => {
    const used = process.cpuUsage(cpu0);
    return { wallMs: Date.now() - started, cpuMs: (used.user + used.system) / 1000 };
  };
  process.on('message', (m) => {
    if (m !== 'stop') return;
    process.send?.(report(), () => process.exit(0));
  });
  // The soak is gone (ended, killed): nothing would ever stop us.
  process.on('disconnect', () => process.exit(0));
  const spin = () => {
    const end = Date.now() + SLICE_MS;
    while (Date.now() < end) {
      // busy: this is the load
    }
    if (Date.now() >= deadline) process.exit(0);
    setImmediate(spin);
  };
  process.send?.('busy');
  spin();
}

if (process.argv[2] === CHILD_ARG) runChild(Number(process.argv[3]));
