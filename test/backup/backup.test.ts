/**
 * The backup, proven with the real tools (issue 10): the CronJob the function emits is run as
 * its pod (./pod.ts) in the backup image's root filesystem against PostgreSQL 15 and an S3
 * server over https on loopback (./world.ts), then restored with the README's runbook, run
 * from the README's text in the same image, and compared with what was backed up.
 *
 * Needs root (mount namespaces, chroot, tmpfs) and what `npm run test:backup` installs and
 * builds first: scripts/build-backup-image.sh (which runs scripts/install-backup-tools.sh).
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { ICronJob } from 'kubernetes-models/batch/v1/CronJob';
import type { IEnvVar, IPodSpec } from 'kubernetes-models/v1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Severity } from '@crossplane-org/function-sdk-typescript';
import { runFunction } from '../../src/fn.js';
import { backupTime } from '../../src/schedule.js';
import { pinned } from '../pinned.js';
import { deps, INPUT_HEAD, request, xr, type Obj } from '../support.js';
import { readImageEnv, runPod, type PodOptions, type PodRun } from './pod.js';
import { ADMIN_PASSWORD, ageKey, BACKUP_PASSWORD, BACKUP_ROLE, newBase, Postgres, S3_KEY, S3Server, type AgeKey } from './world.js';

const REPO = resolve(import.meta.dirname, '../..');
const IMAGE_DIR = join(REPO, '.cache/backup-image');
const ROOTFS = join(IMAGE_DIR, 'rootfs');
const RCLONE = join(REPO, `.cache/tools/rclone-${pinned('RCLONE_VERSION')}/rclone`);
const FAKETIME_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const ODOO_UID = 101;

/** The restore runbook, exactly as the README shows it. */
function runbook(): string {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const m = /<!-- restore-runbook:begin -->\n```bash\n([\s\S]*?)```\n<!-- restore-runbook:end -->/.exec(readme);
  if (m?.[1] === undefined) throw new Error('README.md has no restore-runbook block');
  return m[1];
}

let base: string;
let pg: Postgres;
let s3: S3Server;
let key: AgeKey;
let filestoreRoot: string;
let podOptions: PodOptions;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('npm run test:backup needs root (mount namespaces, chroot, tmpfs)');
  for (const f of [join(ROOTFS, 'usr/local/bin/rclone'), RCLONE, FAKETIME_LIB]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run npm run test:backup (it builds the image and installs the tools first)`);
  }
  base = newBase();
  [pg, s3, key] = await Promise.all([Postgres.start(base), S3Server.create(RCLONE, base), ageKey(base)]);
  filestoreRoot = join(base, 'filestore');
  mkdirSync(filestoreRoot, { mode: 0o755 });
  await pg.sql(
    'postgres',
    `CREATE ROLE odoo LOGIN PASSWORD 'odoo';
    CREATE ROLE ${BACKUP_ROLE} LOGIN PASSWORD '${BACKUP_PASSWORD}';
    GRANT pg_read_all_data TO ${BACKUP_ROLE};
    -- Large objects: pg_read_all_data does not cover them on PostgreSQL 15 (README: Database privileges).
    GRANT odoo TO ${BACKUP_ROLE};`,
  );
  podOptions = {
    rootfs: ROOTFS,
    imageEnv: readImageEnv(join(IMAGE_DIR, 'image-env')),
    claims: { 'odoo-filestore-18': filestoreRoot, keys: key.identityDir },
    secrets: {
      'pg01-backup': { username: BACKUP_ROLE, password: BACKUP_PASSWORD },
      'sos-backup': { 'access-key-id': S3_KEY.id, 'secret-access-key': S3_KEY.secret },
    },
    configMaps: { 'backup-age-recipients': { recipients: `# PLANA's restore key\n${key.recipient}\n` } },
    // What a cluster that trusts the object storage's CA installs in every image.
    files: { '/etc/ssl/certs/ca-certificates.crt': s3.cert },
  };
}, 120_000);

afterAll(async () => {
  await s3?.stop();
  await pg?.stop();
});

// ---------------------------------------------------------------- tenants and their data

/** A project id whose start second is `second` (the spread is a function of the id). */
function projectIdFor(second: number): number {
  for (let id = 1000; ; id++) if (backupTime(id, 2, 60).second === second) return id;
}

async function createTenantDb(database: string): Promise<void> {
  await pg.sql('postgres', `CREATE DATABASE "${database}" OWNER odoo`);
  await pg.sql(
    database,
    `CREATE TABLE partner (id serial PRIMARY KEY, name text NOT NULL, note text, logo bytea);
     INSERT INTO partner (name, note, logo) VALUES
       ('Acme Corp', 'Бургас — доставка до склада', '\\x00ff10'),
       ('Zoë Ålander', '日本語のテキスト 🚀 «quotes» ''single''', decode(repeat('deadbeef', 4096), 'hex')),
       ('Tabs and NULs', E'tab\\there\\nnewline', '\\x0000');
     CREATE TABLE attachment (id int PRIMARY KEY, data oid);
     INSERT INTO attachment VALUES
       (1, lo_from_bytea(0, '\\x89504e470d0a1a0a0000000d49484452')),
       (2, lo_from_bytea(0, convert_to('Привет, large object — ünïcødé', 'UTF8')));`,
    'odoo',
  );
}

/** What a restore must reproduce: rows (text and bytea), large objects, a sequence. */
async function dbSnapshot(database: string): Promise<string> {
  return pg.sql(
    database,
    `SELECT id, name, coalesce(note, '<null>'), encode(logo, 'hex') FROM partner ORDER BY id;
     SELECT id, encode(lo_get(data), 'hex') FROM attachment ORDER BY id;
     SELECT last_value FROM partner_id_seq;`,
  );
}

/** A tenant's filestore: nested files with several modes, a non-ASCII name, a symlink, an
 * empty directory; owned by the Odoo uid as Odoo leaves it. */
function createFilestore(database: string, extraBytes = 0): string {
  const dir = join(filestoreRoot, database);
  const file = (rel: string, content: Buffer | string, mode: number): void => {
    writeFileSync(join(dir, rel), content);
    chmodSync(join(dir, rel), mode);
  };
  mkdirSync(join(dir, 'ab'), { recursive: true });
  mkdirSync(join(dir, 'empty'));
  file('ab/ab0123456789abcdef', randomBytes(3000), 0o640);
  file('späße ünïcødé — отчёт.pdf', '%PDF-1.7 not really', 0o600);
  file('run.sh', '#!/bin/sh\necho hi\n', 0o755);
  if (extraBytes > 0) file('ab/large.bin', randomBytes(extraBytes), 0o640);
  symlinkSync('ab/ab0123456789abcdef', join(dir, 'latest'));
  chmodSync(join(dir, 'ab'), 0o750);
  chmodSync(join(dir, 'empty'), 0o700);
  chmodSync(dir, 0o750);
  const chownTree = (p: string): void => {
    lchownSync(p, ODOO_UID, ODOO_UID);
    if (lstatSync(p).isDirectory()) for (const n of readdirSync(p)) chownTree(join(p, n));
  };
  chownTree(dir);
  return dir;
}

/** Every entry under `dir`: path, type, mode, and content hash or link target. */
function treeSnapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const p = join(rel, name);
      const st = lstatSync(join(dir, p));
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out.push(`${p} link -> ${readlinkSync(join(dir, p))}`);
      else if (st.isDirectory()) {
        out.push(`${p} dir ${mode}`);
        walk(p);
      } else
        out.push(
          `${p} file ${mode} ${st.size} ${createHash('sha256')
            .update(readFileSync(join(dir, p)))
            .digest('hex')}`,
        );
    }
  };
  walk('.');
  return out;
}

// ---------------------------------------------------------------- the function's CronJob

interface Built {
  readonly cron: ICronJob;
  readonly pod: IPodSpec;
  readonly status: Obj;
}

/** The CronJob and XR status the function emits for a tenant, from a whole RunFunction call. */
function build(subdomain: string, projectId: number, backup: Obj = {}): Built {
  const res = runFunction(
    request({
      xr: xr({ subdomain, projectId }),
      input: { ...INPUT_HEAD, database: { host: '127.0.0.1', port: pg.port }, backup: { endpoint: s3.endpoint, ...backup } },
    }),
    deps,
  );
  const fatal = res.results.find((r) => r.severity === Severity.SEVERITY_FATAL);
  if (fatal !== undefined) throw new Error(`runFunction: ${fatal.message}`);
  // The CronJob's pipeline name carries its identity (backup-<id>): find it by kind.
  const cron = Object.values(res.desired?.resources ?? {}).find((r) => r.resource?.['kind'] === 'CronJob')?.resource as unknown as
    ICronJob | undefined;
  if (cron === undefined) throw new Error('runFunction composed no CronJob');
  const pod = cron.spec?.jobTemplate.spec?.template.spec;
  if (pod === undefined) throw new Error('the CronJob has no pod template');
  return { cron, pod, status: (res.desired?.composite?.resource?.['status'] as Obj)['backup'] as Obj };
}

const stampOf = (run: PodRun): string => {
  const m = /backup run (\d{8}T\d{6})/.exec(run.containers[0]?.stdout ?? '');
  if (m?.[1] === undefined) throw new Error(`no stamp in the start step's output: ${JSON.stringify(run.containers[0])}`);
  return m[1];
};

const describeRun = (run: PodRun): string =>
  run.containers.map((c) => `--- ${c.name}: exit ${String(c.exitCode)} ${c.signal ?? ''}\n${c.stdout}${c.stderr}`).join('\n');

/** Runs the README's restore runbook in the backup image, as the pod's uid, with the upload
 * step's own rclone environment. Returns the run and the restored filestore's host path. */
async function restore(
  built: Built,
  tenant: string,
  targetDb: string,
  extraEnv: Record<string, string> = {},
): Promise<{ run: PodRun; filestore: string }> {
  const upload = built.pod.containers[0];
  const rcloneEnv: IEnvVar[] = (upload?.env ?? []).filter((e) => e.name.startsWith('RCLONE_'));
  const env: IEnvVar[] = [
    ...rcloneEnv,
    { name: 'HOME', value: '/restore' },
    { name: 'BUCKET', value: 'plana-pulse-backups' },
    { name: 'TENANT', value: tenant },
    { name: 'AGE_IDENTITY', value: '/keys/restore.key' },
    { name: 'TARGET_DB', value: targetDb },
    { name: 'FILESTORE_DIR', value: '/restore/filestore' },
    { name: 'PGHOST', value: '127.0.0.1' },
    { name: 'PGPORT', value: String(pg.port) },
    { name: 'PGUSER', value: 'postgres' },
    { name: 'PGPASSWORD', value: ADMIN_PASSWORD },
    ...Object.entries(extraEnv).map(([name, value]) => ({ name, value })),
  ];
  const spec: IPodSpec = {
    securityContext: { runAsUser: ODOO_UID, runAsGroup: ODOO_UID, runAsNonRoot: true },
    containers: [
      {
        name: 'restore',
        image: pinned('BACKUP_IMAGE'),
        command: ['/bin/bash', '-c', runbook()],
        workingDir: '/restore',
        env,
        securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
        volumeMounts: [
          { name: 'restore', mountPath: '/restore' },
          { name: 'keys', mountPath: '/keys', readOnly: true },
        ],
      },
    ],
    volumes: [
      { name: 'restore', emptyDir: {} },
      { name: 'keys', persistentVolumeClaim: { claimName: 'keys', readOnly: true } },
    ],
  };
  const run = await runPod(spec, podOptions);
  return { run, filestore: join(run.emptyDirs['restore'] ?? '', 'filestore') };
}

function manifestOf(objects: Map<string, Buffer>, stamp: string): string {
  const m = objects.get(`manifest-${stamp}.txt`);
  if (m === undefined) throw new Error(`no manifest-${stamp}.txt among ${[...objects.keys()].join(', ')}`);
  return m.toString('utf8');
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

// ---------------------------------------------------------------- the tests

describe("a backup made by the CronJob's pod restores with the README runbook", () => {
  it('default Input: encrypted, started at its second, manifest last, restored byte for byte', async () => {
    // Pick a tenant whose start second is a few seconds ahead, so the start step really waits.
    let now = new Date().getUTCSeconds();
    if (now > 50) {
      await new Promise((r) => setTimeout(r, (61 - now) * 1000));
      now = new Date().getUTCSeconds();
    }
    const second = now + 4;
    const built = build('acme', projectIdFor(second));
    expect(built.status).toMatchObject({
      encryption: 'age',
      startTime: expect.stringMatching(new RegExp(`^\\d\\d:\\d\\d:${String(second).padStart(2, '0')}$`)),
    });
    await createTenantDb('acme.planapulse.app');
    const source = createFilestore('acme.planapulse.app');

    const run = await runPod(built.pod, podOptions);
    try {
      expect(run.phase, describeRun(run)).toBe('Succeeded');
      expect(run.containers.map((c) => c.name)).toEqual(['start', 'dump', 'filestore', 'upload']);
      const stamp = stampOf(run);
      expect([second, second + 1]).toContain(Number(stamp.slice(-2)));

      const objects = s3.objects('acme/');
      expect([...objects.keys()]).toEqual([`backup-${stamp}.dump.gz`, `filestore-${stamp}.tar.gz`, `manifest-${stamp}.txt`]);
      // age's binary format: nothing readable reached the bucket.
      for (const name of [`backup-${stamp}.dump.gz`, `filestore-${stamp}.tar.gz`]) {
        expect(objects.get(name)?.subarray(0, 22).toString()).toBe('age-encryption.org/v1\n');
      }
      const manifest = manifestOf(objects, stamp).split('\n');
      expect(manifest.slice(0, 3)).toEqual(['plana-tenant-backup 1', `stamp ${stamp}`, 'database acme.planapulse.app']);
      expect(manifest[3]).toMatch(/^pg_dump pg_dump \(PostgreSQL\) 17\.\d+/);
      expect(manifest[4]).toBe('encryption age');
      for (const name of [`backup-${stamp}.dump.gz`, `filestore-${stamp}.tar.gz`]) {
        const body = objects.get(name) ?? Buffer.alloc(0);
        expect(manifest).toContain(`object ${name} ${body.length} ${sha256(body)}`);
      }
    } finally {
      await run.cleanup();
    }

    const restored = await restore(built, 'acme', 'restored_acme');
    try {
      expect(restored.run.phase, describeRun(restored.run)).toBe('Succeeded');
      expect(await dbSnapshot('restored_acme')).toBe(await dbSnapshot('acme.planapulse.app'));
      expect(await dbSnapshot('restored_acme')).toContain('Бургас');
      expect(treeSnapshot(restored.filestore)).toEqual(treeSnapshot(source));
    } finally {
      await restored.run.cleanup();
    }
  });

  it('encryption: None is an explicit opt-out the XR status reports, and restores with the same runbook', async () => {
    const built = build('plain', projectIdFor(0), { encryption: 'None' });
    expect(built.status).toMatchObject({ encryption: 'none' });
    await createTenantDb('plain.planapulse.app');
    const source = createFilestore('plain.planapulse.app');
    const run = await runPod(built.pod, podOptions);
    const stamp = stampOf(run);
    await run.cleanup();
    expect(run.phase, describeRun(run)).toBe('Succeeded');
    const objects = s3.objects('plain/');
    expect(manifestOf(objects, stamp)).toContain('\nencryption none\n');
    expect(
      gunzipSync(objects.get(`backup-${stamp}.dump.gz`) ?? Buffer.alloc(0))
        .subarray(0, 5)
        .toString(),
    ).toBe('PGDMP');

    const restored = await restore(built, 'plain', 'restored_plain');
    try {
      expect(restored.run.phase, describeRun(restored.run)).toBe('Succeeded');
      expect(await dbSnapshot('restored_plain')).toBe(await dbSnapshot('plain.planapulse.app'));
      expect(treeSnapshot(restored.filestore)).toEqual(treeSnapshot(source));
    } finally {
      await restored.run.cleanup();
    }
  });
});

describe('never overwrite, never a partial set that looks complete', () => {
  it("a second run with the same stamp and other data leaves the first run's objects byte-identical", async () => {
    const built = build('twice', projectIdFor(0));
    await createTenantDb('twice.planapulse.app');
    createFilestore('twice.planapulse.app');
    const before = await dbSnapshot('twice.planapulse.app');
    // The one thing changed: the start step's clock (libfaketime), so both runs get one stamp.
    const sameClock: PodOptions = {
      ...podOptions,
      files: { ...podOptions.files, '/usr/lib/faketime.so.1': FAKETIME_LIB },
      extraEnv: { start: { LD_PRELOAD: '/usr/lib/faketime.so.1', FAKETIME: '@2026-12-02 02:17:05' } },
    };
    const first = await runPod(built.pod, sameClock);
    await first.cleanup();
    expect(first.phase, describeRun(first)).toBe('Succeeded');
    expect(stampOf(first)).toBe('20261202T021705');
    const firstObjects = new Map([...s3.objects('twice/')].map(([n, b]) => [n, sha256(b)]));
    expect([...firstObjects.keys()]).toHaveLength(3);

    await pg.sql('twice.planapulse.app', `INSERT INTO partner (name) VALUES ('added after the first run')`, 'odoo');
    writeFileSync(join(filestoreRoot, 'twice.planapulse.app', 'ab', 'ab0123456789abcdef'), 'changed');
    const second = await runPod(built.pod, sameClock);
    await second.cleanup();
    expect(stampOf(second)).toBe('20261202T021705');
    expect(second.phase, describeRun(second)).toBe('Failed');
    expect(second.containers.at(-1)?.name).toBe('upload');
    expect(new Map([...s3.objects('twice/')].map(([n, b]) => [n, sha256(b)]))).toEqual(firstObjects);

    // And the set still restores to the first run's data.
    const restored = await restore(built, 'twice', 'restored_twice');
    await restored.run.cleanup();
    expect(restored.run.phase, describeRun(restored.run)).toBe('Succeeded');
    expect(await dbSnapshot('restored_twice')).toBe(before);
  });

  it('a dump error mid-stream fails the run before anything is uploaded (pipefail)', async () => {
    const built = build('broken', projectIdFor(0), { encryption: 'None' });
    await createTenantDb('broken.planapulse.app');
    createFilestore('broken.planapulse.app');
    // A large object the backup role may not read: pg_dump has written the table data to the
    // pipe when it fails on it.
    await pg.sql('broken.planapulse.app', `SELECT lo_from_bytea(0, 'owned by the superuser')`);
    const run = await runPod(built.pod, podOptions);
    try {
      expect(run.phase).toBe('Failed');
      expect(run.containers.map((c) => [c.name, c.exitCode])).toEqual([
        ['start', 0],
        ['dump', 1],
      ]);
      expect(run.containers[1]?.stderr).toContain('permission denied for large object');
      // What was written before the error: a well-formed gzip of a truncated dump, which only
      // pipefail tells from a good one.
      const partial = readdirSync(join(run.emptyDirs['work'] ?? '', 'out'));
      expect(partial).toHaveLength(1);
      const dumped = gunzipSync(readFileSync(join(run.emptyDirs['work'] ?? '', 'out', partial[0] ?? '')));
      expect(dumped.subarray(0, 5).toString()).toBe('PGDMP');
      expect(dumped.includes(Buffer.from('Zoë Ålander'))).toBe(true);
    } finally {
      await run.cleanup();
    }
    expect(s3.objects('broken/').size).toBe(0);
  });

  it('an upload cut by the object storage going away leaves no manifest, and the runbook finds no set', async () => {
    const built = build('cut', projectIdFor(0));
    await createTenantDb('cut.planapulse.app');
    createFilestore('cut.planapulse.app', 24 * 1024 * 1024);
    let stopped: Promise<void> | undefined;
    const run = await runPod(built.pod, {
      ...podOptions,
      // Fail fast once the server is gone (rclone would retry for minutes).
      extraEnv: { upload: { RCLONE_RETRIES: '1', RCLONE_LOW_LEVEL_RETRIES: '1' } },
      killWhen: (c) => {
        if (c === 'upload' && stopped === undefined && [...s3.objects('cut/').keys()].some((n) => n.startsWith('backup-')))
          stopped = s3.stop();
        return false;
      },
    });
    await stopped;
    await s3.start();
    await run.cleanup();
    expect(stopped, 'the server was never stopped: the upload ended too soon').toBeDefined();
    expect(run.phase, describeRun(run)).toBe('Failed');
    expect([...s3.objects('cut/').keys()].filter((n) => n.startsWith('manifest-'))).toEqual([]);
    const restored = await restore(built, 'cut', 'restored_cut');
    await restored.run.cleanup();
    expect(restored.run.phase).toBe('Failed');
  });

  it('a pod killed during its upload leaves no manifest', async () => {
    const built = build('killed', projectIdFor(0));
    await createTenantDb('killed.planapulse.app');
    createFilestore('killed.planapulse.app', 24 * 1024 * 1024);
    const run = await runPod(built.pod, {
      ...podOptions,
      killWhen: (c) => c === 'upload' && [...s3.objects('killed/').keys()].some((n) => n.startsWith('backup-')),
    });
    await run.cleanup();
    expect(run.containers.at(-1)).toMatchObject({ name: 'upload', signal: 'SIGKILL' });
    expect([...s3.objects('killed/').keys()].filter((n) => n.startsWith('manifest-'))).toEqual([]);
  });
});

describe('bounded disk', () => {
  it('a dump larger than the scratch volume fails cleanly, with nothing uploaded', async () => {
    const built = build('big', projectIdFor(0), { workVolumeSize: '8Mi' });
    expect(built.pod.volumes?.find((v) => v.name === 'work')?.emptyDir).toEqual({ sizeLimit: '8Mi' });
    await createTenantDb('big.planapulse.app');
    createFilestore('big.planapulse.app');
    // ~25 MB of random bytes: more than 8 MiB even after gzip.
    await pg.sql(
      'big.planapulse.app',
      `CREATE TABLE blob AS SELECT g AS id, decode(md5(random()::text) || md5(random()::text), 'hex') AS data FROM generate_series(1, 800000) g`,
      'odoo',
    );
    const run = await runPod(built.pod, podOptions);
    await run.cleanup();
    expect(run.phase).toBe('Failed');
    expect(run.containers.map((c) => [c.name, c.exitCode])).toEqual([
      ['start', 0],
      ['dump', 1],
    ]);
    expect(run.containers[1]?.stderr).toMatch(/no space left on device/i);
    expect(s3.objects('big/').size).toBe(0);
  });
});
