/**
 * Serves one of the benchmark's own handlers (bench/noop.ts, bench/replay.ts) on our gRPC edge
 * the way dist/src/main.js serves ours: its flags (src/config.ts), its logger, a drain on
 * SIGTERM or SIGINT.
 */
import { ConfigError, parseConfig, type ServeConfig } from '../src/config.js';
import { startServer, type Handler } from '../src/grpc/server.js';
import { newLogger } from '../src/logger.js';

export async function serveOnEdge(name: string, args: readonly string[], handler: Handler): Promise<void> {
  let config: ServeConfig;
  try {
    config = parseConfig([...args], process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`bench-${name}: ${err.message}\n`);
    process.exit(2);
  }
  const log = newLogger(config.debug);
  const server = await startServer(config, handler, log);
  log.info({ address: config.address, port: server.port }, `serving (bench ${name})`);
  const stop = (): void => {
    void server.drain(2000).then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
