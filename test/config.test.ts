import { describe, expect, it } from 'vitest';
import { ConfigError, USAGE, parseConfig, splitAddress, type ServeConfig } from '../src/config.js';

const DEFAULTS: ServeConfig = {
  help: false,
  address: ':9443',
  host: '',
  port: 9443,
  insecure: false,
  debug: false,
  maxRecvMsgSize: 4194304,
  drainTimeoutSeconds: 25,
};

describe('parseConfig', () => {
  it('has the Go functions’ defaults, with no TLS directory', () => {
    const config = parseConfig([], {});
    expect(config).toStrictEqual(DEFAULTS);
    expect('tlsCertsDir' in config).toBe(false);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each<{ reason: string; argv: string[]; env?: NodeJS.ProcessEnv; want: Partial<ServeConfig> }>([
    {
      reason: 'every flag, inline values',
      argv: ['--address=127.0.0.1:0', '--insecure', '--debug', '--max-recv-msg-size=8388608', '--drain-timeout=5'],
      want: {
        address: '127.0.0.1:0',
        host: '127.0.0.1',
        port: 0,
        insecure: true,
        debug: true,
        maxRecvMsgSize: 8388608,
        drainTimeoutSeconds: 5,
      },
    },
    {
      reason: 'values as separate arguments',
      argv: ['--address', 'localhost:8080', '--tls-certs-dir', '/certs'],
      want: { address: 'localhost:8080', host: 'localhost', port: 8080, tlsCertsDir: '/certs' },
    },
    { reason: 'bracketed IPv6 address', argv: ['--address=[::1]:9443'], want: { address: '[::1]:9443', host: '::1', port: 9443 } },
    { reason: '-d is --debug, as in the Go functions', argv: ['-d'], want: { debug: true } },
    {
      reason: 'the Go functions’ --max-recv-message-size is in MiB',
      argv: ['--max-recv-message-size=8'],
      want: { maxRecvMsgSize: 8 * 1024 * 1024 },
    },
    { reason: 'the last occurrence of a flag wins', argv: ['--address=:1', '--address=:2'], want: { address: ':2', port: 2 } },
    {
      reason: 'TLS_SERVER_CERTS_DIR is the fallback',
      argv: [],
      env: { TLS_SERVER_CERTS_DIR: '/env/certs' },
      want: { tlsCertsDir: '/env/certs' },
    },
    {
      reason: 'the flag wins over TLS_SERVER_CERTS_DIR',
      argv: ['--tls-certs-dir=/flag/certs'],
      env: { TLS_SERVER_CERTS_DIR: '/env/certs' },
      want: { tlsCertsDir: '/flag/certs' },
    },
    { reason: 'an empty TLS_SERVER_CERTS_DIR is unset', argv: [], env: { TLS_SERVER_CERTS_DIR: '' }, want: {} },
    { reason: 'a drain timeout of 0 cuts connections at once', argv: ['--drain-timeout=0'], want: { drainTimeoutSeconds: 0 } },
    {
      reason: 'a fixed clock for reproducible renders',
      argv: ['--fixed-time=2026-11-22T10:00:00Z'],
      want: { fixedTime: new Date('2026-11-22T10:00:00Z') },
    },
  ])('$reason', ({ argv, env, want }) => {
    expect(parseConfig(argv, env ?? {})).toStrictEqual({ ...DEFAULTS, ...want });
  });

  it('returns help, with nothing else validated, for --help and -h', () => {
    expect(parseConfig(['--help'], {})).toStrictEqual({ ...DEFAULTS, help: true });
    expect(parseConfig(['--max-recv-msg-size=0', '-h'], {}).help).toBe(true);
    expect(USAGE).toContain('--tls-certs-dir=DIR');
    expect(USAGE).toContain('$TLS_SERVER_CERTS_DIR');
  });

  it.each<{ reason: string; argv: string[]; env?: NodeJS.ProcessEnv; message: string }>([
    { reason: 'unknown flag', argv: ['--bogus'], message: 'unknown flag --bogus (see --help)' },
    {
      reason: 'a fixed time that is not RFC 3339',
      argv: ['--fixed-time=yesterday'],
      message: '--fixed-time "yesterday" is not an RFC 3339 time such as 2026-11-22T10:00:00Z',
    },
    {
      reason: 'a fixed time without a zone',
      argv: ['--fixed-time=2026-11-22T10:00:00'],
      message: '--fixed-time "2026-11-22T10:00:00" is not an RFC 3339 time such as 2026-11-22T10:00:00Z',
    },
    { reason: 'unknown short flag', argv: ['-x'], message: 'unknown flag -x (see --help)' },
    {
      reason: 'the SDK template’s positional argument',
      argv: ['serve'],
      message: 'unexpected argument "serve": this program takes flags only (see --help)',
    },
    { reason: 'a boolean with a value', argv: ['--insecure=false'], message: '--insecure takes no value, got "false"' },
    { reason: 'a flag with its value missing', argv: ['--address'], message: '--address needs a value: write --address=VALUE' },
    {
      reason: 'a flag swallowing the next flag',
      argv: ['--tls-certs-dir', '--insecure'],
      message: '--tls-certs-dir needs a value: write --tls-certs-dir=VALUE',
    },
    {
      reason: 'an empty TLS directory flag',
      argv: ['--tls-certs-dir='],
      env: { TLS_SERVER_CERTS_DIR: '/env' },
      message: '--tls-certs-dir must not be empty',
    },
    {
      reason: 'size with a unit',
      argv: ['--max-recv-msg-size=8MiB'],
      message: '--max-recv-msg-size="8MiB" is not valid: must be a whole number of bytes from 1 to 2147483647',
    },
    {
      reason: 'size zero',
      argv: ['--max-recv-msg-size=0'],
      message: '--max-recv-msg-size="0" is not valid: must be a whole number of bytes from 1 to 2147483647',
    },
    {
      reason: 'negative size',
      argv: ['--max-recv-msg-size=-5'],
      message: '--max-recv-msg-size="-5" is not valid: must be a whole number of bytes from 1 to 2147483647',
    },
    {
      reason: 'size over 2 GiB',
      argv: ['--max-recv-msg-size=2147483648'],
      message: '--max-recv-msg-size="2147483648" is not valid: must be a whole number of bytes from 1 to 2147483647',
    },
    {
      reason: 'MiB size over 2 GiB',
      argv: ['--max-recv-message-size=2048'],
      message: '--max-recv-message-size="2048" is not valid: must be a whole number of MiB from 1 to 2047',
    },
    {
      reason: 'both size flags',
      argv: ['--max-recv-msg-size=1', '--max-recv-message-size=1'],
      message: '--max-recv-msg-size and --max-recv-message-size set the same limit: give only one',
    },
    {
      reason: 'fractional drain timeout',
      argv: ['--drain-timeout=1.5'],
      message: '--drain-timeout="1.5" is not valid: must be a whole number of seconds from 0 to 3600',
    },
    {
      reason: 'address without a port',
      argv: ['--address=localhost'],
      message: '--address "localhost" is not valid: it must be HOST:PORT or :PORT',
    },
    {
      reason: 'port out of range',
      argv: ['--address=:65536'],
      message: '--address ":65536" is not valid: the port must be a number from 0 to 65535',
    },
    {
      reason: 'port not a number',
      argv: ['--address=:http'],
      message: '--address ":http" is not valid: the port must be a number from 0 to 65535',
    },
    {
      reason: 'unbracketed IPv6',
      argv: ['--address=::1:9443'],
      message: '--address "::1:9443" is not valid: write an IPv6 address as [ADDRESS]:PORT',
    },
    {
      reason: 'unclosed bracket',
      argv: ['--address=[::1:9443'],
      message: '--address "[::1:9443" is not valid: write an IPv6 address as [ADDRESS]:PORT',
    },
    {
      reason: 'IPv4 in brackets',
      argv: ['--address=[127.0.0.1]:1'],
      message: '--address "[127.0.0.1]:1" is not valid: only IPv6 addresses go in brackets',
    },
  ])('refuses $reason', ({ argv, env, message }) => {
    let thrown: unknown;
    try {
      parseConfig(argv, env ?? {});
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).name).toBe('ConfigError');
    expect((thrown as ConfigError).message).toBe(message);
    expect((thrown as ConfigError).message).not.toContain('\n');
  });
});

describe('splitAddress', () => {
  it.each([
    [':9443', '', 9443],
    ['0.0.0.0:1', '0.0.0.0', 1],
    ['[::]:0', '::', 0],
    ['[fd00::2]:65535', 'fd00::2', 65535],
    ['function.crossplane-system.svc:9443', 'function.crossplane-system.svc', 9443],
  ])('%s → host %j, port %d', (address, host, port) => {
    expect(splitAddress(address)).toStrictEqual({ host, port });
  });
});
