/**
 * The liveness rule of every reaper (the Docker runtime's stale containers, the process
 * runtime's folders, and scripts/leftovers.sh, which applies the same rule in shell): whether
 * the process that owns something still runs on this machine.
 */
import { readFileSync } from 'node:fs';

/**
 * Is a process with this pid alive on this machine? EPERM means alive but not ours. A zombie
 * (ended, not yet reaped by its parent: PID 1 of a container or a CI machine may reap late)
 * counts as ended: it holds no port and will never clean up after itself.
 */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; comm may hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): kill -0 is all there is
  }
}
