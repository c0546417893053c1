/**
 * Generated sections of the README: text between `<!-- NAME:start ... -->` and `<!-- NAME:end -->`
 * is replaced by content computed from the code (the CLI help reads the defaults constant).
 *
 *   pnpm docs:cli    # rewrite the CLI reference from `redis-cluster-compose --help`
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '@redis-cluster-kit/compose';

export const README = join(__dirname, '..', 'README.md');

/** Replace the body of section `name`; throws if its markers are missing. */
export function replaceSection(readme: string, name: string, body: string): string {
  const start = new RegExp(`(<!-- ${name}:start[^>]*-->\\n)[\\s\\S]*?(<!-- ${name}:end -->)`);
  if (!start.test(readme)) throw new Error(`README has no "${name}" section markers`);
  return readme.replace(
    start,
    (_m, open: string, close: string) => `${open}${body.endsWith('\n') ? body : `${body}\n`}${close}`,
  );
}

/** The CLI reference exactly as `redis-cluster-compose --help` prints it. */
export async function cliHelpSection(): Promise<string> {
  let out = '';
  await main(['--help'], { stdout: (t) => (out += t), stderr: () => undefined, env: {} });
  return `\`\`\`text\n${out.trimEnd()}\n\`\`\`\n`;
}

if (require.main === module) {
  void (async () => {
    const readme = readFileSync(README, 'utf8');
    writeFileSync(README, replaceSection(readme, 'cli-help', await cliHelpSection()));
    console.log('README.md: CLI reference updated');
  })();
}
