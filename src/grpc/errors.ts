/** The edge's own errors, and how a thrown value is described without leaking what it holds. */

/** The server cannot start: no usable TLS material, or the address cannot be bound. One line. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

const MAX_ERROR_TEXT = 200;

/**
 * The error's class and the first line of its message, capped. Never the thrown value itself when
 * it is not an Error: it could be anything from the request, credentials included.
 */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return `a thrown ${err === null ? 'null' : typeof err}`;
  const text = `${err.name}: ${err.message.split('\n', 1)[0] ?? ''}`;
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}…` : text;
}
