/** The soak's summary: one row per section and variant, printed as one Markdown table. */

export interface Row {
  section: string;
  /** What ran: e.g. "docker", a test file, "whole project". */
  what: string;
  hog: boolean;
  runs: number;
  failures: number;
  /** Durations (ms) for p50 / p95 / max; empty where they do not apply. */
  timesMs: number[];
  /** The soak's resources left after this row's runs (each is removed by the soak afterwards). */
  leftovers: number;
  /** One short note: e.g. "563 tests per run", "named node and directive 5/5". */
  note: string;
}

/** The p-th percentile by nearest rank (p50 of 1..4 is 2, p95 of 1..20 is 19); NaN for none. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[rank - 1]!;
}

/** "850 ms", "12.3 s", "4m05s". */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms < 10_000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** The summary table (Markdown, so it can go into the docs as it is). */
export function table(rows: readonly Row[]): string {
  const lines = [
    '| section | what | hog | runs | failures | p50 | p95 | max | leftovers | note |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const t = r.timesMs;
    lines.push(
      `| ${r.section} | ${r.what} | ${r.hog ? 'on' : 'off'} | ${r.runs} | ${r.failures} | ${formatMs(percentile(t, 50))} | ${formatMs(percentile(t, 95))} | ${formatMs(percentile(t, 100))} | ${r.leftovers} | ${r.note} |`,
    );
  }
  return lines.join('\n');
}

/** Counts equal failure descriptions: "3x file › test: message" lines, most frequent first. */
export function tally(failures: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const f of failures) counts.set(f, (counts.get(f) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([f, n]) => `${n}x ${f}`);
}

/** The directive every refused start gives: redis-server refuses the value at once (FATAL CONFIG FILE ERROR). */
export const REFUSED = Object.freeze({ directive: 'maxmemory-policy', value: 'not-a-policy' });

/**
 * Does a start's error name the node that exited and the directive it refused (as the user
 * reads it: the message)? redis-server quotes the refused line its own way per runtime
 * (`'maxmemory-policy "not-a-policy"'` from a config file, `'maxmemory-policy not-a-policy'`).
 */
export function namesNodeAndDirective(message: string): boolean {
  return /node "[^"]+" exited/.test(message) && message.includes(REFUSED.directive) && message.includes(REFUSED.value);
}
