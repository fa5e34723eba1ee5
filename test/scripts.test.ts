/**
 * The Jobs' scripts, run for real by busybox sh (what the postgres-alpine, busybox and rclone
 * images run them with) against temporary directories, with pg_dump, age and rclone replaced by
 * shims on PATH that record what they were given. The container mount /work becomes a temporary
 * directory by substituting the path in the script text; nothing else is changed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeEach, describe, expect, it } from 'vitest';
import { ARCHIVE_SCRIPT, DUMP_SCRIPT, ENCRYPT_SCRIPT, FILESTORE_SCRIPT, UPLOAD_SCRIPT } from '../src/builders/scripts.js';

// CI installs busybox (.ci/run); without it these tests are skipped, and say so.
const BUSYBOX = spawnSync('busybox', ['true']).status === 0;
if (!BUSYBOX) console.warn('test/scripts.test.ts: busybox is not installed: the Jobs\' scripts are not run (apt-get install busybox)');
const ROOT = process.getuid?.() === 0;
const UID = String(process.getuid?.() ?? 0);

let dir: string;
let work: string;
let bin: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'plana-scripts-'));
  work = join(dir, 'work');
  bin = join(dir, 'bin');
  mkdirSync(work);
  mkdirSync(bin);
  const shim = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  shim('pg_dump', `printf '%s\\n' "dump of $PGDATABASE as $PGUSER@$PGHOST:$PGPORT with $*"`);
  shim('age', `printf '%s\\0' "$@" >> "${dir}/age.calls"; printf 'AGE:' > "$5"; cat "$6" >> "$5"`);
  shim('rclone', `printf '%s\\0' "$@" >> "${dir}/rclone.calls"; printf '\\n' >> "${dir}/rclone.calls"`);
});

function run(script: string, env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('busybox', ['sh', '-c', script.replaceAll('/work', work)], {
    env: { PATH: `${bin}:/usr/bin:/bin`, ...env },
    cwd: dir,
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!BUSYBOX)('the filestore Job script', () => {
  const env = (root: string, database = 'acme.planapulse.app') => ({ FILESTORE_ROOT: root, DATABASE: database, DIR_MODE: '0750', ODOO_UID: UID });

  it('creates the tenant directory with its mode and a marker, and is idempotent', () => {
    const root = join(dir, 'filestore');
    mkdirSync(root);
    expect(run(FILESTORE_SCRIPT, env(root)).status).toBe(0);
    const tenantDir = join(root, 'acme.planapulse.app');
    expect(statSync(tenantDir).mode & 0o777).toBe(0o750);
    expect(existsSync(join(tenantDir, '.plana-tenant'))).toBe(true);
    writeFileSync(join(tenantDir, 'attachment.bin'), 'tenant data');
    const again = run(FILESTORE_SCRIPT, env(root));
    expect(again.status).toBe(0);
    expect(again.stdout).toContain(`filestore directory ${tenantDir} ready (uid ${UID}, mode 0750)`);
    expect(readFileSync(join(tenantDir, 'attachment.bin'), 'utf8')).toBe('tenant data');
  });

  it('treats a hostile value as data: no command runs, no path is built from it', () => {
    const root = join(dir, 'filestore');
    mkdirSync(root);
    const hostile = 'x $(touch pwned) `touch pwned2`; touch pwned3';
    expect(run(FILESTORE_SCRIPT, env(root, hostile)).status).toBe(0);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
    expect(existsSync(join(dir, 'pwned2'))).toBe(false);
    expect(existsSync(join(dir, 'pwned3'))).toBe(false);
    expect(readdirSync(root)).toEqual([hostile]);
  });

  it('fails clearly when the volume is not mounted', () => {
    const r = run(FILESTORE_SCRIPT, env(join(dir, 'missing')));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('is not a directory: is the volume mounted?');
  });

  it('leaves a file standing where the directory belongs alone', () => {
    const root = join(dir, 'filestore');
    mkdirSync(root);
    writeFileSync(join(root, 'acme.planapulse.app'), 'not a directory');
    const r = run(FILESTORE_SCRIPT, env(root));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('exists and is not a directory: leaving it alone');
    expect(readFileSync(join(root, 'acme.planapulse.app'), 'utf8')).toBe('not a directory');
  });

  it.skipIf(!ROOT)('refuses a directory that belongs to another uid, changing nothing', () => {
    const root = join(dir, 'filestore');
    const other = join(root, 'acme.planapulse.app');
    mkdirSync(other, { recursive: true, mode: 0o700 });
    chownSync(other, 12345, 12345);
    const r = run(FILESTORE_SCRIPT, env(root));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('belongs to uid 12345, not 0: leaving it alone');
    expect(statSync(other).mode & 0o777).toBe(0o700);
    expect(existsSync(join(other, '.plana-tenant'))).toBe(false);
  });
});

describe.skipIf(!BUSYBOX)('the backup steps, in order', () => {
  const DB = { PGHOST: 'pg01.planapulse.com', PGPORT: '5432', PGUSER: 'backup', PGPASSWORD: 'secret', PGDATABASE: 'acme.planapulse.app' };

  function dumpAndArchive(): string {
    const dump = run(DUMP_SCRIPT, DB);
    expect(dump.status, dump.stderr).toBe(0);
    const stamp = readFileSync(join(work, 'stamp'), 'utf8').trim();
    expect(stamp).toMatch(/^\d{8}T\d{6}$/);
    const root = join(dir, 'filestore');
    mkdirSync(join(root, 'acme.planapulse.app', 'ab'), { recursive: true });
    writeFileSync(join(root, 'acme.planapulse.app', 'ab', 'abcdef'), 'an attachment');
    const archive = run(ARCHIVE_SCRIPT, { FILESTORE_ROOT: root, DATABASE: 'acme.planapulse.app' });
    expect(archive.status, archive.stderr).toBe(0);
    return stamp;
  }

  it('dumps through libpq\'s environment and gzips to backup-STAMP.dump.gz', () => {
    const stamp = dumpAndArchive();
    const dumped = gunzipSync(readFileSync(join(work, 'stage', `backup-${stamp}.dump.gz`))).toString();
    expect(dumped).toBe('dump of acme.planapulse.app as backup@pg01.planapulse.com:5432 with --format=custom --compress=0 --no-password --no-owner\n');
  });

  it('archives only the tenant\'s directory to filestore-STAMP.tar.gz', () => {
    const stamp = dumpAndArchive();
    const listing = execFileSync('tar', ['-tzf', join(work, 'stage', `filestore-${stamp}.tar.gz`)], { encoding: 'utf8' });
    expect(listing.split('\n').filter(Boolean).sort()).toEqual(['./', './ab/', './ab/abcdef']);
  });

  it('fails when the tenant has no filestore directory yet', () => {
    expect(run(DUMP_SCRIPT, DB).status).toBe(0);
    const r = run(ARCHIVE_SCRIPT, { FILESTORE_ROOT: join(dir, 'filestore'), DATABASE: 'acme.planapulse.app' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('does not exist');
  });

  it('fails the dump when pg_dump fails (pipefail), instead of uploading an empty file', () => {
    writeFileSync(join(bin, 'pg_dump'), '#!/bin/sh\necho "connection refused" >&2\nexit 1\n');
    expect(run(DUMP_SCRIPT, DB).status).not.toBe(0);
  });

  it('encrypts each object for the recipients, keeping its name', () => {
    const stamp = dumpAndArchive();
    const r = run(ENCRYPT_SCRIPT, { AGE_RECIPIENTS: 'age1first\nage1second' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('encrypted for 2 recipient(s)');
    expect(readdirSync(join(work, 'out')).sort()).toEqual([`backup-${stamp}.dump.gz`, `filestore-${stamp}.tar.gz`]);
    expect(readFileSync(join(work, 'out', `backup-${stamp}.dump.gz`)).subarray(0, 4).toString()).toBe('AGE:');
    expect(readFileSync(join(work, 'recipients'), 'utf8')).toBe('age1first\nage1second\n');
  });

  it('uploads both objects under {subdomain}/ with rclone copyto --immutable, never sync or move', () => {
    const stamp = dumpAndArchive();
    const r = run(UPLOAD_SCRIPT, { UPLOAD_DIR: join(work, 'stage'), BUCKET: 'plana-pulse-backups', PREFIX: 'acme/' });
    expect(r.status, r.stderr).toBe(0);
    const calls = readFileSync(join(dir, 'rclone.calls'), 'utf8').split('\n').filter(Boolean).map((line) => line.split('\0').filter(Boolean));
    expect(calls).toEqual([
      ['copyto', '--immutable', '--s3-no-check-bucket', join(work, 'stage', `backup-${stamp}.dump.gz`), `sos:plana-pulse-backups/acme/backup-${stamp}.dump.gz`],
      ['copyto', '--immutable', '--s3-no-check-bucket', join(work, 'stage', `filestore-${stamp}.tar.gz`), `sos:plana-pulse-backups/acme/filestore-${stamp}.tar.gz`],
    ]);
  });
});
