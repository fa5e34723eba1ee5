/**
 * The only file that touches argv, the environment, signals and the exit code:
 * flags → config → logger → server → wait for SIGTERM → drain → exit.
 *
 * Exit codes: 0 after a clean drain (or --help), 1 when the server cannot start (one JSON log
 * line says why), 2 on bad flags (one line on stderr), 128+signal on a second signal.
 */
import { constants } from 'node:os';
import { ConfigError, USAGE, parseConfig, type ServeConfig } from './config.js';
import { runFunction } from './fn.js';
import { newLogger } from './logger.js';
import { Metrics, serveMetrics } from './grpc/metrics.js';
import { RUNNER_SERVICES, StartupError, maxSendMessageSize, startServer } from './grpc/server.js';

let config: ServeConfig;
try {
  config = parseConfig(process.argv.slice(2), process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`function-plana-tenant: ${err.message}\n`);
  process.exit(2);
}
if (config.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const log = newLogger(config.debug);

try {
  if (config.insecure && config.tlsCertsDir !== undefined) {
    log.warn({ tlsCertsDir: config.tlsCertsDir }, '--insecure given: ignoring the TLS certificates directory and serving plaintext');
  }
  const fixed = config.fixedTime;
  if (fixed !== undefined)
    log.warn({ fixedTime: fixed.toISOString() }, '--fixed-time given: backup age is judged at a fixed instant, not now');
  const now = fixed === undefined ? () => new Date() : () => fixed;
  const metrics = config.metricsAddress === undefined ? undefined : new Metrics(RUNNER_SERVICES);
  const server = await startServer({ ...config, name: 'function-plana-tenant' }, (req) => runFunction(req, { now }), log, metrics);
  if (metrics !== undefined && config.metricsAddress !== undefined) {
    const served = await serveMetrics(metrics, config.metricsAddress.host, config.metricsAddress.port).catch((err: unknown) => {
      throw new StartupError(`cannot serve metrics on ${config.metricsAddress?.host}:${config.metricsAddress?.port}: ${String(err)}`);
    });
    served.server.unref();
    log.info({ metricsPort: served.port }, 'serving Prometheus metrics at /metrics');
  }
  log.info(
    {
      address: config.address,
      port: server.port,
      insecure: config.insecure,
      maxRecvMsgSize: config.maxRecvMsgSize,
      maxSendMsgSize: maxSendMessageSize(config.maxRecvMsgSize),
    },
    'serving',
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // Second signal: the operator wants it gone now.
      log.warn({ signal }, 'second signal while draining: exiting at once');
      process.exit(128 + (constants.signals[signal] ?? 0));
    }
    stopping = true;
    log.info({ signal, drainTimeoutSeconds: config.drainTimeoutSeconds }, 'draining: refusing new calls, finishing in-flight ones');
    void server.drain(config.drainTimeoutSeconds * 1000).then((outcome) => {
      if (outcome === 'forced') log.warn({ outcome }, 'stopped: calls still running at the drain timeout were cut');
      else log.info({ outcome }, 'stopped');
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} catch (err) {
  // A StartupError's message says it all; anything else is a bug and keeps its stack.
  if (err instanceof StartupError) log.error(err.message);
  else log.error({ err }, 'cannot start');
  process.exit(1);
}
