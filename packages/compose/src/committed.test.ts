import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPlan } from '@redis-cluster-kit/plan';
import { REPO_PROGRAM } from './flags';
import { DEFAULT_OUT, regenerateCommand, renderFiles } from './targets';

// The default output of `pnpm gen:compose` is committed: it must be what the generator writes now.
const root = join(__dirname, '..', '..', '..');
const committed = join(root, DEFAULT_OUT);
const hint = 'The committed compose/redis-cluster/ is stale: run `pnpm gen:compose --force` and commit the result.';

describe(`${DEFAULT_OUT} (committed default output)`, () => {
  const plan = createPlan();
  const files = renderFiles(plan, { command: regenerateCommand(plan.options, {}, REPO_PROGRAM) });

  it.each([...files.keys()])('%s is up to date', (path) => {
    const file = join(committed, path);
    if (!existsSync(file)) throw new Error(`${file} is missing. ${hint}`);
    const content = readFileSync(file, 'utf8');
    if (content !== files.get(path)) throw new Error(`${file} differs from the generated file. ${hint}`);
  });

  it('holds a default that does not depend on REDIS_CLUSTER_IMAGE', () => {
    expect(readFileSync(join(committed, 'compose.yaml'), 'utf8')).toContain(
      `image: "\${REDIS_CLUSTER_IMAGE:-${plan.options.image}}"`,
    );
  });
});
