/**
 * Structured JSON logs, one object a line on stdout, as Crossplane's Go functions write them
 * (zap's production encoder): `level` as a word, an ISO timestamp, the message under `msg`.
 * No pretty printing: the lines are read by log collectors, not people at a terminal.
 *
 * The logger is created once in main and passed in, never global (function-sdk-go).
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export const FUNCTION_NAME = 'function-plana-tenant';

/**
 * @param debug log at debug level rather than info (`--debug`).
 * @param destination where lines go; default stdout, written synchronously so that the last
 *   lines before `process.exit` are not lost. Tests pass a stream to read them back.
 */
export function newLogger(debug: boolean, destination?: DestinationStream): Logger {
  return pino(
    {
      level: debug ? 'debug' : 'info',
      // Replaces pino's default pid and hostname: in a pod both are noise.
      base: { fn: FUNCTION_NAME },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
