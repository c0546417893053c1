/** Thrown for any option that cannot be used; its message is one line naming the option, the value and what is allowed. */
export class InvalidOptionError extends Error {
  override readonly name = 'InvalidOptionError';

  constructor(
    /** The option's name as the API spells it (e.g. `masters`). */
    readonly option: string,
    /** The value that was given. */
    readonly value: unknown,
    /** What would have been accepted, as a sentence fragment. */
    readonly allowed: string,
    prefix = 'Invalid option',
  ) {
    super(`${prefix} ${option} ${describeValue(value)}. Expected ${allowed}.`);
  }
}

/** A short, single-line rendering of a value for an error message (never multi-line). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined)
    return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  try {
    const json = JSON.stringify(value);
    return json.length > 80 ? `${json.slice(0, 77)}...` : json;
  } catch {
    return Object.prototype.toString.call(value);
  }
}
