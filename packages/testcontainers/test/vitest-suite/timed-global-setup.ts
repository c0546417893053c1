import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import globalSetup from '@redis-cluster-kit/testcontainers/vitest/global-setup';

/** The package's globalSetup, timed for the outer test's report. */
export default async function timedGlobalSetup(project: TestProject): Promise<() => Promise<void>> {
  const t0 = performance.now();
  const teardown = await globalSetup(project);
  const dir = process.env['SUITE_REPORT_DIR'];
  if (dir) appendFileSync(join(dir, 'setup.jsonl'), `${JSON.stringify({ setupMs: performance.now() - t0 })}\n`);
  return teardown;
}
