import { readFileSync } from 'node:fs';
import { BIN_PROGRAM, PASSWORD_STDIN_FLAG } from '../flags';

/** Exit code of every usage error (bad flag or value, refused overwrite, unusable --out). */
export const USAGE_ERROR = 2;

/** Where the CLI writes; the real process's streams by default, buffers in tests. */
export interface CliIO {
  /** Where the help, the summary and `--dry-run` output go. */
  stdout: (text: string) => void;
  /** Where errors and warnings go, one line each. */
  stderr: (text: string) => void;
  /** The environment: the password's variable, REDIS_CLUSTER_IMAGE, npm_lifecycle_event. */
  env: Readonly<Record<string, string | undefined>>;
  /** All of standard input, for `--password-stdin`. @default read from the process's stdin */
  stdin?: () => string;
}

/** A usage error: printed as its one-line message, exit code 2. */
export class UsageError extends Error {}

/** The real process's streams and environment. */
export const defaultIO: CliIO = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  stdin: () => {
    if (process.stdin.isTTY) {
      throw new UsageError(
        `Invalid option ${PASSWORD_STDIN_FLAG}: standard input is a terminal. Expected the password piped in, e.g. printf '%s' "$SECRET" | ${BIN_PROGRAM} --auth ${PASSWORD_STDIN_FLAG}.`,
      );
    }
    return readFileSync(0, 'utf8');
  },
};
