import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { Redis } from 'ioredis';
import type { ClusterJson } from '../src/targets/view';
import { ComposeProject, composeTools, freeBasePort, imageUnderTest } from './compose-runner';
import { LocalCluster, freeLocalBasePort } from './local-runner';

jest.setTimeout(600_000);

// What a newcomer is shown, run as shown: `bash scripts/quickstart.sh` (into a temp folder named
// after a Compose project of this run, so that commands without -p find it), then every command
// and snippet of its final output and of the generated README.md, taken from that output and
// that README (not copied here: when they change into something broken, this test fails), all
// against the one 3x1 cluster the quickstart started. A command this test does not know how to
// run fails it too: a new kind of command in the docs needs a way to be run here.
const ROOT = join(__dirname, '..', '..', '..');
const tools = composeTools();
const image = imageUnderTest();
const v2 = tools.find((t) => t.name === 'v2');
const v1 = tools.find((t) => t.name === 'v1');
// Every command runs with the image under test: nothing can be pulled here (the README says
// REDIS_CLUSTER_IMAGE picks the image). node finds ioredis (root) and node-redis (the fixture's dev dependency).
const env = {
  ...process.env,
  REDIS_CLUSTER_IMAGE: image,
  NODE_PATH: [join(ROOT, 'node_modules'), join(ROOT, 'packages', 'testcontainers', 'node_modules')].join(delimiter),
};

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `command` with `sh -c` (or a program with `args`), `input` on its stdin; never throws. */
function sh(command: string, options: { cwd: string; input?: string; program?: string[] }): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const [program, ...args] = options.program ?? ['sh', '-c', command];
    const child = spawn(program!, args, { cwd: options.cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

async function ok(command: string, options: { cwd: string; input?: string; program?: string[] }): Promise<Ran> {
  const r = await sh(command, options);
  if (r.code !== 0) throw new Error(`\`${command}\` (in ${options.cwd}) exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** The commands of the README's fenced blocks: sh lines (comments dropped) and js snippets, in order. */
function readmeBlocks(readme: string): { lang: string; text: string }[] {
  const blocks: { lang: string; text: string }[] = [];
  const fence = /^```(\w*)\n([\s\S]*?)^```$/gm;
  for (let m = fence.exec(readme); m; m = fence.exec(readme)) blocks.push({ lang: m[1]!, text: m[2]! });
  return blocks;
}

/** The quickstart's "Next:" part: each labelled command (`  label:` then `    command`), and label-only lines. */
function nextSteps(stdout: string): { label: string; command?: string; text?: string }[] {
  const lines = stdout.split('\n');
  const start = lines.indexOf('Next:');
  expect(start).toBeGreaterThan(0);
  const steps: { label: string; command?: string; text?: string }[] = [];
  for (const line of lines.slice(start + 1)) {
    const label = /^ {2}([^ ].*?):(?: (.*))?$/.exec(line);
    if (label) steps.push({ label: label[1]!, ...(label[2] ? { text: label[2] } : {}) });
    else if (/^ {4}[^ (]/.test(line)) {
      const last = steps[steps.length - 1]!;
      expect(last.command).toBeUndefined();
      last.command = line.trim();
    }
  }
  return steps;
}

/** Runs what a README or an output shows, as shown, against a running cluster; keeps what it ran. */
class Shown {
  readonly ran: string[] = [];
  snippets = 0;
  /** A key for each master's slots, so that the commands go through redirects. */
  keys: string[] = [];

  async findKeys(plan: ClusterJson['plan']): Promise<void> {
    const probe = new Redis({ host: '127.0.0.1', port: plan.nodes[0]!.port });
    try {
      for (const m of plan.nodes.filter((n) => n.role === 'master')) {
        for (let i = 0; ; i++) {
          const slot = (await probe.call('CLUSTER', 'KEYSLOT', `{n${i}}:k`)) as number;
          if (slot >= m.slots!.start && slot <= m.slots!.end) {
            this.keys.push(`{n${i}}:k`);
            break;
          }
        }
      }
    } finally {
      await probe.quit();
    }
  }

  /** redis-cli as shown (interactive): the commands a person would type, on its stdin. */
  async redisCli(command: string, cwd: string, tag: string): Promise<void> {
    const input = this.keys.map((k) => `SET ${k} ${tag}\nGET ${k}\n`).join('');
    const r = await ok(command, { cwd, input });
    for (const k of this.keys)
      expect([command, k, r.stdout]).toEqual([command, k, expect.stringContaining(`OK\n${tag}\n`)]);
    // Redirects were followed (the keys are spread over every master).
    expect(r.stdout).toContain('-> Redirected to slot');
    this.ran.push(command);
  }

  /**
   * A JavaScript snippet as shown, inside an async function (what an app around it would be),
   * then this test's own use of the `cluster` it made: a write and a read on every master.
   */
  async snippet(code: string, cwd: string, tag: string): Promise<void> {
    const check = this.keys
      .map(
        (k) =>
          `await cluster.set('${k}', '${tag}'); if ((await cluster.get('${k}')) !== '${tag}') throw new Error('${k}');`,
      )
      .join('\n');
    const script = `(async () => {\n${code}\n${check}\nconsole.log('snippet ok');\nawait (typeof cluster.close === 'function' ? cluster.close() : cluster.quit());\nprocess.exit(0);\n})().catch((e) => { console.error(e); process.exit(1); });\n`;
    const r = await ok('', { cwd, input: script, program: [process.execPath, '-'] });
    expect(r.stdout).toContain('snippet ok');
    this.ran.push(code.split('\n').find((l) => l.trim() !== '' && !l.startsWith('//')) ?? code);
    this.snippets++;
  }
}

/** The rows of a NODE ROLE SLOTS PORT STATE table in `out` (columns two spaces or more apart). */
function tableRows(out: string, count: number): string[][] {
  const lines = out.split('\n');
  const header = lines.findIndex((l) => /^NODE +ROLE +SLOTS +PORT +STATE$/.test(l));
  expect(header).toBeGreaterThanOrEqual(0);
  return lines.slice(header + 1, header + 1 + count).map((l) => l.trim().split(/ {2,}/));
}

/** The plan's nodes as such a table says them when the cluster is as planned; `state` for every node. */
function plannedRows(plan: ClusterJson['plan'], state: string | ((n: string) => unknown)): unknown[][] {
  return plan.nodes.map((n) => [
    n.name,
    n.master ? `replica of ${n.master}` : 'master',
    n.slots ? `${n.slots.start}-${n.slots.end}` : '-',
    String(n.port),
    typeof state === 'string' ? state : state(n.name),
  ]);
}

describe('what a newcomer is shown (quickstart.sh, the generated README) works, as shown', () => {
  const p = new ComposeProject(v2 ?? tools[0]!, image, { folderIsProject: true });
  afterAll(async () => {
    await p.destroy();
    expect(await p.leftovers()).toEqual([]);
  });

  it('runs every command and snippet of the quickstart output and the README against one 3x1', async () => {
    // v2 is what quickstart (compose-up.sh) and the README use; CI has both (composeTools()).
    if (!v2) throw new Error('docker compose (v2) is needed: the quickstart and the README use it');
    const basePort = await freeBasePort(6);
    const quick = await ok('', {
      cwd: ROOT,
      program: ['bash', 'scripts/quickstart.sh', '--out', p.dir, '--base-port', String(basePort)],
    });
    p.load();
    const plan = p.cluster.plan;
    const out = quick.stdout;
    console.log(`quickstart output:\n${out}\n${quick.stderr}`);

    // Long steps said which step and how long it took.
    for (const step of ['1/4 dependencies', '3/4 generating', 'docker compose up -d --wait']) {
      expect(quick.stderr).toMatch(new RegExp(`\\] ${step.replace(/[/.]/g, '\\$&')}.*: done in \\d+ s`));
    }

    // The live table: every node as planned, cluster_state:ok.
    expect(tableRows(out, plan.nodes.length)).toEqual(plannedRows(plan, 'cluster_state:ok'));

    const shown = new Shown();
    await shown.findKeys(plan);
    const deferred: { command: string; cwd: string }[] = [];

    // 1. The quickstart's output: the generator's "Start it:" line, then every "Next:" step.
    for (const line of out.split('\n').filter((l) => l.startsWith('Start it: '))) {
      const command = line.slice('Start it: '.length);
      await ok(command, { cwd: ROOT });
      shown.ran.push(command);
    }
    for (const [i, step] of nextSteps(out).entries()) {
      const tag = `quickstart-${i}`;
      if (step.command === undefined) {
        // A line to read, not to run: the paths it names exist.
        expect(step.label).toMatch(/^(details|password)$/);
        for (const path of step.text!.match(/\/\S+\.(json|md|env)\b/g) ?? [])
          expect([path, existsSync(path)]).toEqual([path, true]);
      } else if (step.label.startsWith('redis-cli')) await shown.redisCli(step.command, ROOT, tag);
      else if (step.label.startsWith('ioredis') || step.label.startsWith('node-redis'))
        await shown.snippet(step.command, ROOT, tag);
      else if (step.label.startsWith('stop')) deferred.push({ command: step.command, cwd: ROOT });
      else throw new Error(`the quickstart shows "${step.label}: ${step.command}", which this test cannot run yet`);
    }

    // 2. The README: its sh lines run in the output folder ("From this folder"), pnpm ones in the
    // repository; its js blocks as snippets there. Stopping comes last.
    const readme = readFileSync(join(p.dir, 'README.md'), 'utf8');
    for (const [i, block] of readmeBlocks(readme).entries()) {
      const tag = `readme-${i}`;
      if (block.lang === 'mermaid') continue; // the picture
      if (block.lang === 'js') {
        await shown.snippet(block.text, p.dir, tag);
        continue;
      }
      if (block.lang !== 'sh') throw new Error(`the README has a \`\`\`${block.lang} block this test cannot run yet`);
      for (const line of block.text.split('\n')) {
        const command = line.replace(/\s+#.*$/, '').trim();
        if (command === '') continue;
        if (/^docker(-compose| compose) .*\bdown\b/.test(command)) deferred.push({ command, cwd: p.dir });
        else if (/\bredis-cli\b/.test(command)) await shown.redisCli(command, p.dir, tag);
        else if (command.startsWith('docker-compose ')) {
          if (!v1) throw new Error(`the README shows \`${command}\` and docker-compose (v1) is missing here`);
          const r = await ok(command, { cwd: p.dir });
          shown.ran.push(command);
          // `ps` as the README says to read it: every node "Up (healthy)", the init step "Up".
          // (v1 may recreate the containers v2 made: same volumes, so the same cluster, formed again.)
          if (/ ps\b/.test(command)) {
            await p.waitHealthy();
            const { stdout } = await ok(command, { cwd: p.dir });
            for (const n of plan.nodes) expect(stdout).toMatch(new RegExp(`[-_]${n.name}[-_]1 .* Up \\(healthy\\)`));
          } else expect(r.code).toBe(0);
        } else if (command.startsWith('pnpm ')) {
          // Regenerating with the same options changes nothing.
          const r = await ok(command, { cwd: ROOT });
          expect(r.stdout).toMatch(/ 0 created, 0 overwritten, \d+ unchanged/);
          shown.ran.push(command);
        } else if (command.startsWith('docker compose ')) {
          await ok(command, { cwd: p.dir });
          shown.ran.push(command);
        } else throw new Error(`the README shows \`${command}\`, which this test cannot run yet`);
      }
    }

    // The cluster is still as planned and usable after all of that.
    await p.waitHealthy();

    // 3. Stop, as shown: `down` keeps the volumes, `down -v` removes everything.
    expect(deferred.map((d) => d.command.replace(/^.*?(down.*)$/, '$1'))).toEqual(
      expect.arrayContaining(['down', 'down -v']),
    );
    for (const { command, cwd } of deferred) {
      await ok(command, { cwd });
      shown.ran.push(command);
      const left = await p.leftovers();
      if (/down -v/.test(command)) expect(left).toEqual([]);
      else expect(await p.health()).toEqual({});
    }
    console.log(`ran, as shown:\n  ${shown.ran.join('\n  ')}`);
    // Both snippets of each (quickstart and README), and both ways of stopping.
    expect(shown.snippets).toBe(4);
  });
});

describe("the local target's README (cluster.sh, no Docker), as shown", () => {
  const c = new LocalCluster();
  afterAll(async () => {
    expect(await c.destroy()).toEqual([]);
  });

  it('runs every command and snippet of its README against one 3x1', async () => {
    // Generated as a newcomer does (pnpm gen:compose), so the README's Regenerate command is that one.
    const base = await freeLocalBasePort(6);
    await ok('', {
      cwd: ROOT,
      program: ['pnpm', '--silent', 'gen:compose', '--target', 'local', '--out', c.dir, '--base-port', String(base)],
    });
    c.cluster = JSON.parse(readFileSync(join(c.dir, 'cluster.json'), 'utf8')) as ClusterJson;
    const plan = c.cluster.plan;
    const shown = new Shown();
    const deferred: string[] = [];
    const readme = readFileSync(join(c.dir, 'README.md'), 'utf8');
    for (const [i, block] of readmeBlocks(readme).entries()) {
      const tag = `local-${i}`;
      if (block.lang === 'mermaid') continue;
      if (block.lang === 'js') {
        await shown.snippet(block.text, c.dir, tag);
        continue;
      }
      if (block.lang !== 'sh') throw new Error(`the README has a \`\`\`${block.lang} block this test cannot run yet`);
      for (const line of block.text.split('\n')) {
        const command = line.replace(/\s+#.*$/, '').trim();
        if (command === '') continue;
        if (/^sh cluster\.sh (stop|clean)$/.test(command)) deferred.push(command);
        else if (/^sh cluster\.sh \w+$/.test(command)) {
          const r = await ok(command, { cwd: c.dir });
          shown.ran.push(command);
          if (command.endsWith(' up')) await shown.findKeys(plan);
          if (command.endsWith(' status'))
            expect(tableRows(r.stdout, plan.nodes.length)).toEqual(
              plannedRows(plan, () => expect.stringMatching(/^cluster_state:ok, pid \d+$/)),
            );
        } else if (/^redis-cli\b/.test(command)) await shown.redisCli(command, c.dir, tag);
        else if (command.startsWith('pnpm ')) {
          // Regenerating with the same options while the nodes run changes nothing.
          const r = await ok(command, { cwd: ROOT });
          expect(r.stdout).toMatch(/ 0 created, 0 overwritten, \d+ unchanged/);
          shown.ran.push(command);
        } else throw new Error(`the README shows \`${command}\`, which this test cannot run yet`);
      }
    }
    expect(deferred).toEqual(['sh cluster.sh stop', 'sh cluster.sh clean']);
    for (const command of deferred) {
      await ok(command, { cwd: c.dir });
      shown.ran.push(command);
      expect(c.servers()).toEqual([]);
    }
    // clean left only what the generator wrote.
    expect(c.files().filter((f) => /(nodes\.conf|redis\.log|redis\.pid|appendonly)/.test(f))).toEqual([]);
    console.log(`ran, as shown (local):\n  ${shown.ran.join('\n  ')}`);
    expect(shown.snippets).toBe(1);
  });
});
