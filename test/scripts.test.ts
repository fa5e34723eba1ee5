/**
 * The filestore Job's script, run for real by busybox sh (what the busybox image runs it with)
 * against temporary directories. The backup's scripts are tested with the real tools, in the
 * backup image, as the CronJob's pod runs them: test/backup/ (npm run test:backup).
 */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { FILESTORE_SCRIPT } from '../src/builders/scripts.js';

// CI installs busybox (.ci/run); without it these tests are skipped, and say so.
const BUSYBOX = spawnSync('busybox', ['true']).status === 0;
if (!BUSYBOX) console.warn("test/scripts.test.ts: busybox is not installed: the Jobs' scripts are not run (apt-get install busybox)");
const ROOT = process.getuid?.() === 0;
const UID = String(process.getuid?.() ?? 0);

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'plana-scripts-'));
});

function run(script: string, env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('busybox', ['sh', '-c', script], {
    env: { PATH: '/usr/bin:/bin', ...env },
    cwd: dir,
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!BUSYBOX)('the filestore Job script', () => {
  const env = (root: string, database = 'acme.planapulse.app') => ({
    FILESTORE_ROOT: root,
    DATABASE: database,
    DIR_MODE: '0750',
    ODOO_UID: UID,
  });

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
