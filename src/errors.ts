/**
 * The one error this function reports to its caller: a field it cannot accept.
 * The message names the field, the value and what is allowed, on one line, deterministically
 * (Crossplane's contributing guide: errors say what, where and for which input).
 */
export class FieldError extends Error {
  override readonly name = 'FieldError';

  constructor(
    /** Dotted path from the XR or the Input root, e.g. `spec.subdomain` or `input.backup.bucket`. */
    readonly field: string,
    /** The offending value, or undefined when the field is missing. */
    readonly value: unknown,
    /** What is allowed, phrased to follow "must be": e.g. `a DNS label of at most 30 characters`. */
    readonly allowed: string,
  ) {
    super(
      value === undefined
        ? `${field}: is required and must be ${allowed}`
        : `${field}: ${describeValue(value)} is not allowed: must be ${allowed}`,
    );
  }
}

const MAX_SHOWN = 64;

/** A short, single-line, deterministic rendering of a user value for error messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'a missing value';
  if (value === null) return 'null';
  let shown: string;
  if (typeof value === 'string') shown = JSON.stringify(value);
  else if (typeof value === 'number' || typeof value === 'boolean') shown = String(value);
  else if (Array.isArray(value)) shown = `a list of ${value.length}`;
  else if (typeof value === 'object') shown = 'an object';
  else shown = `a ${typeof value}`;
  // JSON.stringify already escapes newlines and quotes; cap the length so a hostile 1 MiB value
  // cannot flood the event stream.
  return shown.length > MAX_SHOWN ? `${shown.slice(0, MAX_SHOWN)}…(${shown.length} characters)` : shown;
}

/**
 * Every field of one object that cannot be accepted, reported together so that one Fatal tells
 * the user everything to fix at once. `field`, `value` and `allowed` are the first problem's.
 */
export class FieldErrors extends FieldError {
  constructor(readonly errors: readonly [FieldError, ...FieldError[]]) {
    super(errors[0].field, errors[0].value, errors[0].allowed);
    this.message = errors.map((e) => e.message).join('; ');
  }
}

/** Runs field checks one after another and keeps every FieldError instead of stopping at the first. */
export class FieldChecks {
  private readonly found: FieldError[] = [];

  /** The check's result, or undefined when it threw a FieldError (which is kept). */
  check<T>(parse: () => T): T | undefined {
    try {
      return parse();
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      this.found.push(...(err instanceof FieldErrors ? err.errors : [err]));
      return undefined;
    }
  }

  /** Throws every kept FieldError as one FieldErrors, if any. */
  done(): void {
    const [first, ...rest] = this.found;
    if (first !== undefined) throw new FieldErrors([first, ...rest]);
  }
}
