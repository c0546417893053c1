import { spawn } from 'node:child_process';

export interface ProcessRun {
  code: number | null;
  /** stdout and stderr, interleaved as they came. */
  output: string;
}

/**
 * Run a command as a real process (a test runner, npm, a user's script) in its own process group,
 * collecting its output; one that has not ended after `killAfterMs` is killed with its children
 * and its output says so, so that the test fails on that rather than on its own timeout.
 */
export async function runProcess(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string | undefined>; killAfterMs: number },
): Promise<ProcessRun> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const killer = setTimeout(() => {
    output += `\n[${command} ${args.join(' ')} did not end within ${options.killAfterMs} ms: killed]`;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // ended meanwhile
    }
  }, options.killAfterMs);
  const code = await new Promise<number | null>((done) => {
    child.on('close', done);
    child.on('error', (err) => {
      output += `\n${err.message}`;
      done(null);
    });
  });
  clearTimeout(killer);
  return { code, output };
}
