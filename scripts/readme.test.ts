import { readFileSync } from 'node:fs';
import { cliHelpSection, README, replaceSection } from './readme';

describe('README', () => {
  it('holds the CLI reference exactly as --help prints it (run `pnpm docs:cli` to refresh)', async () => {
    const readme = readFileSync(README, 'utf8');
    expect(replaceSection(readme, 'cli-help', await cliHelpSection())).toBe(readme);
  });

  it('replaces only the body between the markers', () => {
    const text = 'a\n<!-- x:start note -->\nold\n<!-- x:end -->\nb\n';
    expect(replaceSection(text, 'x', 'new')).toBe('a\n<!-- x:start note -->\nnew\n<!-- x:end -->\nb\n');
    expect(() => replaceSection(text, 'y', 'new')).toThrow('README has no "y" section markers');
  });
});
