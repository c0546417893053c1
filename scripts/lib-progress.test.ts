/**
 * scripts/lib-progress.sh (the progress lines of quickstart.sh and compose-up.sh), run by real
 * bash: a step's output closes when the step ends, so that a caller reading it ($(...), a pipe,
 * Node's execFile) does not wait for the ticker's sleep. No timing: the ticker's interval is
 * set far above anything the test waits for, and the test checks that no process of the step
 * still holds the output once the step has returned.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const LIB = join(__dirname, 'lib-progress.sh');

// A hang guard above the grace below (10 s), so that a step whose output stays open fails on its assertion.
jest.setTimeout(30_000);

/** Run `step LABEL COMMAND...` in bash; resolves when bash has exited and when its output has closed (null: not within `graceMs` after the exit). */
function runStep(
  env: Record<string, string>,
  ...command: string[]
): Promise<{ code: number | null; stderr: string; closedAfterExitMs: number | null }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', `source "${LIB}"; step "the step" "$@"`, 'bash', ...command], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    let exitedAt: number | undefined;
    let code: number | null = null;
    // How long the output may stay open after bash exited: far below PROGRESS_EVERY (1 hour here).
    const graceMs = 10_000;
    let timer: NodeJS.Timeout | undefined;
    child.on('exit', (c) => {
      exitedAt = performance.now();
      code = c;
      timer = setTimeout(() => resolve({ code, stderr, closedAfterExitMs: null }), graceMs);
    });
    child.on('close', () => {
      if (timer) clearTimeout(timer);
      resolve({ code, stderr, closedAfterExitMs: exitedAt === undefined ? 0 : performance.now() - exitedAt });
    });
  });
}

describe('step (scripts/lib-progress.sh)', () => {
  it("says what runs and that it is done, and its output closes with it (the ticker's sleep does not outlive the step)", async () => {
    const r = await runStep({ PROGRESS_EVERY: '3600', PROGRESS_PREFIX: '[t]' }, 'true');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^\[t\] the step \.\.\.\n\[t\] the step: done in \d+ s\n$/);
    expect(r.closedAfterExitMs).not.toBeNull();
  });

  it('returns the exit code of a failed command, and says so', async () => {
    const r = await runStep({ PROGRESS_EVERY: '3600', PROGRESS_PREFIX: '[t]' }, 'bash', '-c', 'exit 3');
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('[t] the step: failed (exit code 3) after');
    expect(r.closedAfterExitMs).not.toBeNull();
  });
});
