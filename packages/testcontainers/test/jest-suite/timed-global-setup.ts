import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import globalSetup from '../../src/jest/global-setup';

/** The package's globalSetup, timed for the outer test's report. */
export default async function timedGlobalSetup(globalConfig: unknown, projectConfig: unknown): Promise<void> {
  const t0 = performance.now();
  await globalSetup(globalConfig as never, projectConfig as never);
  const dir = process.env['SUITE_REPORT_DIR'];
  if (dir) appendFileSync(join(dir, 'setup.jsonl'), `${JSON.stringify({ setupMs: performance.now() - t0 })}\n`);
}
