/**
 * Text for messages of what went wrong: any thrown value on one line, and a secret hidden in
 * what a node printed.
 */

/** A one-line message of any thrown value. */
export function causeMessage(cause: unknown): string {
  const text = cause instanceof Error ? cause.message : String(cause);
  return cause === undefined ? 'no detail' : text.replace(/\s+/g, ' ').trim();
}

/** What a hidden secret is shown as. */
export const HIDDEN = '<hidden>';

/**
 * Lines a node printed, with `secret` hidden: as it is, and as redis-server echoes it back from
 * a config line or a command-line argument (backslashes and double quotes escaped), the one
 * place where node output is collected before it reaches an error or a log.
 */
export function hideSecret(lines: readonly string[], secret: string | undefined): string[] {
  if (secret === undefined || secret === '') return [...lines];
  const forms = [...new Set([secret, secret.replace(/[\\"]/g, (c) => `\\${c}`)])];
  return lines.map((line) => forms.reduce((text, form) => text.split(form).join(HIDDEN), line));
}
