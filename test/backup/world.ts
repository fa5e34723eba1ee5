/**
 * The real servers the backup pod talks to, on loopback only: PostgreSQL 15 (Debian's) and
 * `rclone serve s3` over https with a self-signed certificate for 127.0.0.1, on a local
 * directory. Plus an age key pair made by age-keygen. Nothing here is a stand-in.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pinned } from '../pinned.js';
import { exec } from './pod.js';

const PG_BIN = `/usr/lib/postgresql/${pinned('BACKUP_TEST_PG_MAJOR')}/bin`;
export const ADMIN_PASSWORD = 'admin-pw-5e1f';
export const BACKUP_ROLE = 'plana_backup';
export const BACKUP_PASSWORD = 'backup-pw-9c3a';
export const S3_KEY = { id: 'PLANATESTKEY', secret: 'plana-test-secret-0123456789' };

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up within ${timeoutMs} ms`);
}

export class Postgres {
  private proc: ChildProcess | undefined;
  readonly socketDir: string;
  private constructor(
    readonly dataDir: string,
    readonly port: number,
  ) {
    this.socketDir = join(dataDir, '..', 'sock');
  }

  static async start(base: string): Promise<Postgres> {
    const root = join(base, 'pg');
    mkdirSync(join(root, 'data'), { recursive: true });
    mkdirSync(join(root, 'sock'), { recursive: true });
    const { uid, gid } = await postgresUser();
    chownSync(root, uid, gid);
    chownSync(join(root, 'data'), uid, gid);
    chownSync(join(root, 'sock'), uid, gid);
    const pwfile = join(root, 'pw');
    writeFileSync(pwfile, ADMIN_PASSWORD);
    chownSync(pwfile, uid, gid);
    await exec('runuser', [
      '-u',
      'postgres',
      '--',
      `${PG_BIN}/initdb`,
      '-D',
      join(root, 'data'),
      '-U',
      'postgres',
      `--pwfile=${pwfile}`,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C.UTF-8',
    ]);
    const pg = new Postgres(join(root, 'data'), await freePort());
    pg.proc = spawn(
      'runuser',
      [
        '-u',
        'postgres',
        '--',
        `${PG_BIN}/postgres`,
        '-D',
        pg.dataDir,
        '-p',
        String(pg.port),
        '-k',
        pg.socketDir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
      ],
      { stdio: 'ignore' },
    );
    await waitFor('PostgreSQL', async () =>
      (await exec(`${PG_BIN}/pg_isready`, ['-h', pg.socketDir, '-p', String(pg.port)])).includes('accepting'),
    );
    return pg;
  }

  /** psql as the superuser over the local socket; returns unaligned, tuples-only output. */
  sql(db: string, sql: string, role?: string): Promise<string> {
    const script = role === undefined ? sql : `SET ROLE ${role};\n${sql}`;
    return exec(
      `${PG_BIN}/psql`,
      [
        '-h',
        this.socketDir,
        '-p',
        String(this.port),
        '-U',
        'postgres',
        '-d',
        db,
        '-v',
        'ON_ERROR_STOP=1',
        '-X',
        '-q',
        '-A',
        '-t',
        '-f',
        '-',
      ],
      { input: script },
    );
  }

  async stop(): Promise<void> {
    await exec('runuser', ['-u', 'postgres', '--', `${PG_BIN}/pg_ctl`, '-D', this.dataDir, '-m', 'immediate', 'stop']).catch(() =>
      this.proc?.kill('SIGKILL'),
    );
  }
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const id = async (flag: string): Promise<number> => Number((await exec('id', [flag, 'postgres'])).trim());
  return { uid: await id('-u'), gid: await id('-g') };
}

export class S3Server {
  private proc: ChildProcess | undefined;
  private constructor(
    readonly rclone: string,
    readonly dir: string,
    readonly port: number,
    readonly cert: string,
    readonly key: string,
  ) {}

  get endpoint(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  static async create(rclone: string, base: string): Promise<S3Server> {
    const dir = join(base, 's3');
    mkdirSync(join(dir, 'plana-pulse-backups'), { recursive: true });
    const cert = join(base, 'tls.crt');
    const key = join(base, 'tls.key');
    await exec('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ]);
    const s3 = new S3Server(rclone, dir, await freePort(), cert, key);
    await s3.start();
    return s3;
  }

  async start(): Promise<void> {
    this.proc = spawn(
      this.rclone,
      [
        'serve',
        's3',
        this.dir,
        '--addr',
        `127.0.0.1:${this.port}`,
        '--cert',
        this.cert,
        '--key',
        this.key,
        '--auth-key',
        `${S3_KEY.id},${S3_KEY.secret}`,
      ],
      { stdio: 'ignore', env: { ...process.env, RCLONE_CONFIG: '/dev/null', HOME: tmpdir() } },
    );
    await waitFor('rclone serve s3', async () => {
      const r = await fetchStatus(this.port);
      return r > 0;
    });
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (p === undefined || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
    this.proc = undefined;
  }

  /** The objects under the bucket's `prefix`, name -> bytes, read from the server's directory. */
  objects(prefix: string): Map<string, Buffer> {
    const dir = join(this.dir, 'plana-pulse-backups', prefix);
    const out = new Map<string, Buffer>();
    let names: string[];
    try {
      names = readdirSorted(dir);
    } catch {
      return out;
    }
    for (const n of names) out.set(n, readFileSync(join(dir, n)));
    return out;
  }
}

const readdirSorted = (dir: string): string[] => readdirSync(dir).sort();

/** Any TLS answer on the port means the server is up (its certificate is not trusted here). */
async function fetchStatus(port: number): Promise<number> {
  const { request } = await import('node:https');
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', method: 'GET', rejectUnauthorized: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

export interface AgeKey {
  readonly identityDir: string;
  readonly identityFile: string;
  readonly recipient: string;
}

export async function ageKey(base: string): Promise<AgeKey> {
  const identityDir = join(base, 'keys');
  mkdirSync(identityDir, { recursive: true });
  const identityFile = join(identityDir, 'restore.key');
  await exec('age-keygen', ['-o', identityFile]);
  // The restore runs as the pod's uid; a real operator keeps this file to themselves.
  chmodSync(identityFile, 0o644);
  const recipient = /# public key: (age1[0-9a-z]+)/.exec(readFileSync(identityFile, 'utf8'))?.[1];
  if (recipient === undefined) throw new Error('age-keygen wrote no public key');
  return { identityDir, identityFile, recipient };
}

/** A fresh folder; others may traverse it (postgres and the pod's uid read below it). */
export function newBase(): string {
  const dir = mkdtempSync(join(tmpdir(), 'plana-backup-'));
  chmodSync(dir, 0o755);
  return dir;
}
