/**
 * The soak's command line. Parsed with Node's own `util.parseArgs` (as `pnpm bench` does):
 * flags and values only, no sub-commands, so a library adds nothing here, and the root package
 * needs no new dependency (commander is a dependency of the compose package, not of the root).
 */
import { parseArgs } from 'node:util';
import type { RuntimeKind } from '@redis-cluster-kit/testcontainers';

export const SECTIONS = ['integration', 'starts', 'scenarios', 'refusals'] as const;
export type Section = (typeof SECTIONS)[number];
export const HOG_CHOICES = ['on', 'off', 'both'] as const;
export type HogChoice = (typeof HOG_CHOICES)[number];
export const SOAK_RUNTIMES: readonly RuntimeKind[] = ['docker', 'process'];

/** Every default of the soak: the help text and the checks read these. */
export const SOAK_DEFAULTS = Object.freeze({
  /**
   * Sections to run.
   * @default every section: integration, starts, scenarios, refusals
   */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- not unnecessary: it widens the tuple's type to a list of sections
  only: SECTIONS as readonly Section[],
  /**
   * Runs of the whole integration project under the hog.
   * @default 2
   */
  integrationRuns: 2,
  /**
   * start (3x1) -> write -> stop cycles per runtime and hog setting.
   * @default 50
   */
  cycles: 50,
  /**
   * Runs of the fault-scenario files under the hog.
   * @default 5
   */
  scenarioRuns: 5,
  /**
   * Starts with a node that refuses a directive, per runtime, under the hog.
   * @default 5
   */
  refusals: 5,
  /**
   * Runtimes of the start cycles and refused starts.
   * @default docker, process
   */
  runtimes: SOAK_RUNTIMES,
  /**
   * The hog for every section (`on`, `off`, `both`: each section once without, then once with it).
   * @default each section's own: integration, scenarios and refusals on, starts both
   */
  hog: undefined as HogChoice | undefined,
});

/** Each section's hog settings when `--hog` is not given (issue 9's plan). */
export const SECTION_HOG: Readonly<Record<Section, HogChoice>> = Object.freeze({
  integration: 'on',
  starts: 'both',
  scenarios: 'on',
  refusals: 'on',
});

/** Counts beyond this are surely a typo (50 cycles x 4 take ~15 minutes). */
const MAX_COUNT = 1000;

export interface SoakOptions {
  only: Section[];
  integrationRuns: number;
  cycles: number;
  scenarioRuns: number;
  refusals: number;
  runtimes: RuntimeKind[];
  hog: HogChoice | undefined;
}

export class SoakUsageError extends Error {
  override readonly name = 'SoakUsageError';
}

export const SOAK_USAGE = `Usage: pnpm soak [options]

Runs what must hold on a busy machine before a change to the start path, readiness or the fault
helpers is done (issue 9), prints one summary table, exits 1 when anything failed or was left behind.

Options:
  --only LIST              sections, comma-separated: ${SECTIONS.join(', ')} (default: all)
  --hog on|off|both        the CPU hog for every section (default: integration ${SECTION_HOG.integration}, starts ${SECTION_HOG.starts}, scenarios ${SECTION_HOG.scenarios}, refusals ${SECTION_HOG.refusals})
  --integration-runs N     runs of the integration project (default ${SOAK_DEFAULTS.integrationRuns})
  --cycles N               start (3x1) -> write -> stop cycles per runtime and hog setting (default ${SOAK_DEFAULTS.cycles})
  --scenario-runs N        runs of each fault-scenario file (default ${SOAK_DEFAULTS.scenarioRuns})
  --refusals N             starts with a refused directive per runtime (default ${SOAK_DEFAULTS.refusals})
  --runtimes LIST          runtimes of the cycles and refused starts: ${SOAK_RUNTIMES.join(', ')} (default: both)
  -h, --help               this text`;

function count(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_COUNT)
    throw new SoakUsageError(
      `Invalid option --${flag} ${JSON.stringify(value)}. Expected an integer from 1 to ${MAX_COUNT}.`,
    );
  return n;
}

function list<T extends string>(
  flag: string,
  value: string | undefined,
  allowed: readonly T[],
  fallback: readonly T[],
): T[] {
  if (value === undefined) return [...fallback];
  const items = value.split(',').map((s) => s.trim());
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item))
      throw new SoakUsageError(
        `Invalid option --${flag} ${JSON.stringify(item)}. Expected a comma-separated list of ${allowed.join(', ')}.`,
      );
  }
  return allowed.filter((a) => items.includes(a));
}

/** The soak's options from its arguments; `help` when it was asked for. Throws {@link SoakUsageError} (one line) on bad input. */
export function parseSoakArgs(argv: string[]): SoakOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        only: { type: 'string' },
        hog: { type: 'string' },
        'integration-runs': { type: 'string' },
        cycles: { type: 'string' },
        'scenario-runs': { type: 'string' },
        refusals: { type: 'string' },
        runtimes: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new SoakUsageError(`${(err as Error).message} (see pnpm soak --help)`);
  }
  if (values.help) return 'help';
  if (values.hog !== undefined && !(HOG_CHOICES as readonly string[]).includes(values.hog)) {
    throw new SoakUsageError(`Invalid option --hog ${JSON.stringify(values.hog)}. Expected on, off or both.`);
  }
  return {
    only: list('only', values.only, SECTIONS, SOAK_DEFAULTS.only),
    hog: values.hog as HogChoice | undefined,
    integrationRuns: count('integration-runs', values['integration-runs'], SOAK_DEFAULTS.integrationRuns),
    cycles: count('cycles', values.cycles, SOAK_DEFAULTS.cycles),
    scenarioRuns: count('scenario-runs', values['scenario-runs'], SOAK_DEFAULTS.scenarioRuns),
    refusals: count('refusals', values.refusals, SOAK_DEFAULTS.refusals),
    runtimes: list('runtimes', values.runtimes, SOAK_RUNTIMES, SOAK_DEFAULTS.runtimes),
  };
}

/** Hog settings of a section, in the order they run: without the hog first. */
export function hogSettings(section: Section, choice: HogChoice | undefined): boolean[] {
  const c = choice ?? SECTION_HOG[section];
  return c === 'on' ? [true] : c === 'off' ? [false] : [false, true];
}

// `node options.ts ARGS`: only checks them (scripts/soak.sh, before it builds): a one-line error
// and exit 2; the usage for --help.
if (require.main === module) {
  try {
    if (parseSoakArgs(process.argv.slice(2)) === 'help') console.log(SOAK_USAGE);
  } catch (err) {
    if (!(err instanceof SoakUsageError)) throw err;
    console.error(err.message);
    process.exit(2);
  }
}
