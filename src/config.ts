/**
 * Command-line flags and environment, validated once at start-up into a typed, frozen object
 * (as t3-env and nice-grpc do: configuration checked once, at start-up). The flags mirror Crossplane's Go
 * functions (function-template-go, function-go-templating: `--address`, `--insecure`,
 * `--tls-certs-dir` / `TLS_SERVER_CERTS_DIR`, `-d/--debug`, `--max-recv-message-size` in MiB), so
 * a DeploymentRuntimeConfig written for a Go function also starts this one.
 *
 * Pure: argv and env come in as arguments; only `src/main.ts` reads the process.
 */
import { parseArgs } from 'node:util';
import { MAX_MSG_SIZE_LIMIT } from './grpc/server.js';

export { MAX_MSG_SIZE_LIMIT };

const MiB = 1024 * 1024;

/** gRPC's own default receive limit (grpc-go and grpc-js alike), and Crossplane's Go SDK's. */
export const DEFAULT_MAX_RECV_MSG_SIZE = 4 * MiB;
/** Crossplane's Go functions listen on every interface, port 9443. */
export const DEFAULT_ADDRESS = ':9443';
export const DEFAULT_DRAIN_TIMEOUT_SECONDS = 25;
/** Where Crossplane's function runtime points the server at its mTLS material. */
export const TLS_CERTS_DIR_ENV = 'TLS_SERVER_CERTS_DIR';

export interface ServeConfig {
  /**
   * `--help` was given: print {@link USAGE} and exit 0. Every other field then holds its default.
   * Default: false.
   */
  readonly help: boolean;
  /**
   * `--address`: where to listen, `host:port`, `[ipv6]:port` or `:port` (every interface).
   * Kept as given, for logs. Default: `:9443`.
   */
  readonly address: string;
  /**
   * Host part of {@link address}: `''` means every interface, an IPv6 literal is kept without
   * its brackets. Default: `''`.
   */
  readonly host: string;
  /** Port part of {@link address}; 0 asks the OS for a free port (tests). Default: 9443. */
  readonly port: number;
  /**
   * `--insecure`: serve plaintext gRPC, without mTLS; `tlsCertsDir` is then ignored, as in the Go
   * functions. `crossplane render` always dials plaintext. Default: false.
   */
  readonly insecure: boolean;
  /**
   * `--tls-certs-dir`, else `$TLS_SERVER_CERTS_DIR` (the flag wins): the directory holding
   * `tls.crt`, `tls.key` and `ca.crt`. Default: unset, which refuses to start unless `insecure`.
   */
  readonly tlsCertsDir?: string;
  /** `-d` / `--debug`: log at debug level rather than info. Default: false. */
  readonly debug: boolean;
  /**
   * `--max-recv-msg-size` (bytes) or `--max-recv-message-size` (MiB, the Go functions' flag):
   * the largest RunFunctionRequest accepted; larger ones are refused with RESOURCE_EXHAUSTED.
   * Default: 4194304 (4 MiB).
   */
  readonly maxRecvMsgSize: number;
  /**
   * `--drain-timeout` (seconds): on SIGTERM, how long in-flight calls may take to finish before
   * connections are cut. Keep it below the pod's terminationGracePeriodSeconds (Kubernetes'
   * default is 30 s, when the kubelet sends SIGKILL). Default: 25.
   */
  readonly drainTimeoutSeconds: number;
  /**
   * `--fixed-time` (RFC 3339): judge backup age at this instant instead of the wall clock. Only
   * for reproducible renders and golden files; never set it in a cluster. Default: unset.
   */
  readonly fixedTime?: Date;
  /**
   * `--metrics-address` (`host:port` or `:port`): serve Prometheus metrics at GET /metrics on this
   * separate, plaintext port. Default: unset, no metrics server, so a function run by hand never
   * listens beyond what it was told to; the image's entrypoint passes `:8080` (where Go functions
   * serve them). An empty value turns them off again (a runtime config's `args` come last).
   */
  readonly metricsAddress?: { readonly host: string; readonly port: number };
}

/** A flag or environment value this program cannot accept. The message is one line. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const USAGE = `Usage: function-plana-tenant [flags]

A Crossplane composition function: a PLANAClient XR becomes the tenant's HTTPRoute, backup CronJob and filestore Job.

Flags:
  --address=HOST:PORT           Address to listen on for gRPC; ":PORT" means every interface,
                                "[::1]:PORT" an IPv6 address. Default "${DEFAULT_ADDRESS}".
  --insecure                    Serve plaintext gRPC without mTLS (local development, crossplane
                                render). --tls-certs-dir is then ignored.
  --tls-certs-dir=DIR           Directory holding tls.crt, tls.key and the CA that client
                                certificates must be signed by, ca.crt ($${TLS_CERTS_DIR_ENV}).
  -d, --debug                   Emit debug logs in addition to info logs.
  --max-recv-msg-size=BYTES     Largest request accepted, in bytes. Default ${DEFAULT_MAX_RECV_MSG_SIZE} (4 MiB).
  --max-recv-message-size=MIB   The same limit in MiB, as Crossplane's Go functions spell it.
  --drain-timeout=SECONDS       On SIGTERM, how long in-flight calls may take before connections
                                are closed. Default ${DEFAULT_DRAIN_TIMEOUT_SECONDS}.
  --metrics-address=HOST:PORT   Serve Prometheus metrics at GET /metrics on this address
                                (plaintext, separate from gRPC). Default: off; the image
                                passes ":8080". Empty: off.
  --fixed-time=RFC3339          Judge backup age at this instant instead of now: for
                                reproducible renders and golden files only.
  -h, --help                    Show this help and exit.
`;

const OPTIONS = {
  address: { type: 'string' },
  insecure: { type: 'boolean' },
  'tls-certs-dir': { type: 'string' },
  debug: { type: 'boolean', short: 'd' },
  'max-recv-msg-size': { type: 'string' },
  'max-recv-message-size': { type: 'string' },
  'drain-timeout': { type: 'string' },
  'fixed-time': { type: 'string' },
  'metrics-address': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Flag = keyof typeof OPTIONS;

const DEFAULTS: ServeConfig = Object.freeze({
  help: false,
  address: DEFAULT_ADDRESS,
  host: '',
  port: 9443,
  insecure: false,
  debug: false,
  maxRecvMsgSize: DEFAULT_MAX_RECV_MSG_SIZE,
  drainTimeoutSeconds: DEFAULT_DRAIN_TIMEOUT_SECONDS,
});

function isFlag(name: string): name is Flag {
  return Object.hasOwn(OPTIONS, name);
}

export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ServeConfig {
  // Not strict: parseArgs' own errors are long and generic; reading its tokens lets each
  // message name the flag and what it needs, on one line.
  const { tokens } = parseArgs({ args: [...argv], options: OPTIONS, strict: false, allowPositionals: true, tokens: true });

  const strings = new Map<Flag, string>();
  const bools = new Set<Flag>();
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      throw new ConfigError(`unexpected argument ${JSON.stringify(token.value)}: this program takes flags only (see --help)`);
    }
    const { name, rawName, value, inlineValue } = token;
    if (!isFlag(name)) throw new ConfigError(`unknown flag ${rawName} (see --help)`);
    if (OPTIONS[name].type === 'boolean') {
      if (value !== undefined) throw new ConfigError(`${rawName} takes no value, got ${JSON.stringify(value)}`);
      bools.add(name);
      continue;
    }
    // `--address --insecure` would otherwise silently make "--insecure" the address.
    if (value === undefined || (inlineValue === false && value.startsWith('-'))) {
      throw new ConfigError(`${rawName} needs a value: write ${rawName}=VALUE`);
    }
    strings.set(name, value); // the last occurrence wins, as with the Go functions' flag parser
  }

  if (bools.has('help')) return { ...DEFAULTS, help: true };

  const address = strings.get('address') ?? DEFAULT_ADDRESS;
  const { host, port } = splitAddress(address);

  const flagDir = strings.get('tls-certs-dir');
  if (flagDir === '') throw new ConfigError('--tls-certs-dir must not be empty');
  const envDir = env[TLS_CERTS_DIR_ENV];
  const tlsCertsDir = flagDir ?? (envDir === undefined || envDir === '' ? undefined : envDir);

  const bytes = strings.get('max-recv-msg-size');
  const mib = strings.get('max-recv-message-size');
  if (bytes !== undefined && mib !== undefined) {
    throw new ConfigError('--max-recv-msg-size and --max-recv-message-size set the same limit: give only one');
  }
  let maxRecvMsgSize = DEFAULT_MAX_RECV_MSG_SIZE;
  if (bytes !== undefined) maxRecvMsgSize = integer('--max-recv-msg-size', bytes, 1, MAX_MSG_SIZE_LIMIT, 'bytes');
  if (mib !== undefined) maxRecvMsgSize = integer('--max-recv-message-size', mib, 1, Math.floor(MAX_MSG_SIZE_LIMIT / MiB), 'MiB') * MiB;

  const drain = strings.get('drain-timeout');
  const drainTimeoutSeconds = drain === undefined ? DEFAULT_DRAIN_TIMEOUT_SECONDS : integer('--drain-timeout', drain, 0, 3600, 'seconds');

  const fixed = strings.get('fixed-time');
  const fixedTime = fixed === undefined ? undefined : new Date(fixed);
  if (
    fixed !== undefined &&
    (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(fixed) || Number.isNaN(fixedTime?.getTime()))
  ) {
    throw new ConfigError(`--fixed-time ${JSON.stringify(fixed)} is not an RFC 3339 time such as 2026-11-22T10:00:00Z`);
  }

  const metricsText = strings.get('metrics-address');
  const metricsAddress = metricsText === undefined || metricsText === '' ? undefined : splitAddress(metricsText, '--metrics-address');
  if (metricsAddress !== undefined && metricsAddress.port === port && metricsAddress.port !== 0) {
    throw new ConfigError(`--metrics-address ${JSON.stringify(metricsText)} is not valid: it must use a port other than --address`);
  }

  return Object.freeze({
    help: false,
    address,
    host,
    port,
    insecure: bools.has('insecure'),
    ...(tlsCertsDir === undefined ? {} : { tlsCertsDir }),
    debug: bools.has('debug'),
    maxRecvMsgSize,
    drainTimeoutSeconds,
    ...(fixedTime === undefined ? {} : { fixedTime }),
    ...(metricsAddress === undefined ? {} : { metricsAddress }),
  });
}

/**
 * `host:port`, `[v6]:port` or `:port`, as Go's net.SplitHostPort reads them. A bare IPv6 literal
 * without brackets is refused: `::1:9443` could be read two ways.
 */
export function splitAddress(address: string, flag = '--address'): { host: string; port: number } {
  const bad = (why: string): ConfigError => new ConfigError(`${flag} ${JSON.stringify(address)} is not valid: ${why}`);
  let host: string;
  let portText: string;
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    if (close < 0 || address[close + 1] !== ':') throw bad('write an IPv6 address as [ADDRESS]:PORT');
    host = address.slice(1, close);
    portText = address.slice(close + 2);
    if (!host.includes(':')) throw bad('only IPv6 addresses go in brackets');
  } else {
    const colon = address.lastIndexOf(':');
    if (colon < 0) throw bad('it must be HOST:PORT or :PORT');
    host = address.slice(0, colon);
    portText = address.slice(colon + 1);
    if (host.includes(':')) throw bad('write an IPv6 address as [ADDRESS]:PORT');
  }
  if (/[\s/]/.test(host)) throw bad('the host must be a hostname or an IP address');
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw bad('the port must be a number from 0 to 65535');
  return { host, port: Number(portText) };
}

function integer(flag: string, text: string, min: number, max: number, unit: string): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new ConfigError(`${flag}=${JSON.stringify(text)} is not valid: must be a whole number of ${unit} from ${min} to ${max}`);
  }
  return Number(text);
}
