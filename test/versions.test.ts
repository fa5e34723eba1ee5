/**
 * One file of pinned versions (scripts/versions.sh): the scripts source it; what cannot (the
 * Dockerfiles, the Input schema's default, the README, the benchmark's Function) names the same
 * versions, and these cases fail when one of them drifts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputSchema } from '../src/input/schema.js';
import { pinned, REPO } from './pinned.js';

const read = (file: string): string => readFileSync(join(REPO, file), 'utf8');

describe('scripts/versions.sh', () => {
  // file, a pattern whose one group is a version, the name in versions.sh, why the file repeats it
  it.each<[file: string, pattern: RegExp, name: string, why: string]>([
    ['Dockerfile', /node:([\d.]+)-[a-z]+-slim/g, 'NODE_VERSION', 'the default runtime base: the Node the tests run on'],
    ['Dockerfile', /node:[\d.]+-([a-z]+)-slim/g, 'DEBIAN_SUITE', 'the Debian of the default base, as scripts/build-image.sh builds it'],
    ['images/backup/Dockerfile', /debian:([a-z]+)-slim/g, 'DEBIAN_SUITE', 'the default base, as scripts/build-backup-image.sh builds it'],
    ['images/backup/Dockerfile', /postgresql-client-(\d+)/g, 'BACKUP_PG_MAJOR', 'the pg_dump the image ships'],
    ['images/backup/Dockerfile', /postgresql\/(\d+)\/bin/g, 'BACKUP_PG_MAJOR', 'PATH to that pg_dump'],
    ['images/backup/Dockerfile', /rclone-(v[\d.]+)\/rclone/g, 'RCLONE_VERSION', 'where the Docker route finds rclone'],
    ['README.md', /\*\*Node 24 LTS\*\* \(([\d.]+)\)/g, 'NODE_VERSION', 'the Node the README says it runs on'],
    ['README.md', /\.cache\/tools\/crossplane-(v[\d.]+)\/crossplane/g, 'CROSSPLANE_CLI_VERSION', 'the release command'],
    ['README.md', /Crossplane (v2\.[\d.]+)'s own CRDs/g, 'CROSSPLANE_CORE_VERSION', 'what examples/production is validated against'],
    ['README.md', /\| Crossplane v2 \(core and RBAC manager\) \| (v[\d.]+) \|/g, 'CROSSPLANE_CORE_VERSION', 'the tested-against table'],
    ['README.md', /crank (v\d+\.\d+\.\d+)/g, 'CROSSPLANE_V1_VERSION', 'the v1 scenarios'],
    ['README.md', /\| Crossplane v1 \(claims, `examples\/v1\/`\) \| (v[\d.]+) /g, 'CROSSPLANE_V1_VERSION', 'the tested-against table'],
    ['README.md', /\| Gateway API CRDs \(standard channel\) \| (v[\d.]+) \|/g, 'GATEWAY_API_VERSION', 'the tested-against table'],
    [
      'README.md',
      /provider-kubernetes \(Object mode; (v[\d.]+), whose CRDs/g,
      'PROVIDER_KUBERNETES_CRDS_VERSION',
      'the tested-against table',
    ],
    ['README.md', /the Go proxy refuses\) \| (v[\d.]+) /g, 'PROVIDER_KUBERNETES_E2E_VERSION', 'the tested-against table'],
    ['README.md', /etcd (v[\d.]+)/g, 'ETCD_VERSION', 'the tested-against table'],
    ['README.md', /kube-controller-manager, kubectl; etcd v[\d.]+\) \| (v[\d.]+) \|/g, 'KUBERNETES_VERSION', 'the tested-against table'],
    ['README.md', /tenant-backup:([\w.-]+)/g, 'BACKUP_IMAGE', 'the backup image, the Input default and the restore runbook'],
    // "from rclone v1.76.0 on" names the first release with a feature, not the pinned one.
    ['README.md', /rclone (v\d+\.\d+\.\d+)(?! on\b)/g, 'RCLONE_VERSION', 'the backup image and its tools'],
    ['README.md', /PostgreSQL (\d+)'s `pg_dump`/g, 'BACKUP_PG_MAJOR', 'the backup image'],
    ['README.md', /pg_dump (\d+)/g, 'BACKUP_PG_MAJOR', 'the layout table'],
    ['README.md', /starts PostgreSQL (\d+)/g, 'BACKUP_TEST_PG_MAJOR', 'the real-tools suite'],
    ['README.md', /function-go-templating (v[\d.]+)/g, 'GO_TEMPLATING_VERSION', 'the benchmark'],
    ['bench/README.md', /function-go-templating (v[\d.]+)/g, 'GO_TEMPLATING_VERSION', 'the benchmark'],
    [
      'bench/go-templating-functions.yaml',
      /function-go-templating:(v[\d.]+)/g,
      'GO_TEMPLATING_VERSION',
      'the Function the benchmark renders with',
    ],
  ])('%s names %s as %s (%s)', (file, pattern, name) => {
    const found = [...read(file).matchAll(pattern)].map((m) => m[1]);
    const want = name === 'BACKUP_IMAGE' ? pinned(name).split(':')[1] : pinned(name);
    expect(found.length, `${file} no longer matches ${String(pattern)}`).toBeGreaterThan(0);
    expect(found).toEqual(found.map(() => want));
  });

  it("is the Input's default backup image (src/input/schema.ts), which the function composes", () => {
    const backup = InputSchema.properties.backup as unknown as { properties: { image: { default: unknown } } };
    expect(backup.properties.image.default).toBe(pinned('BACKUP_IMAGE'));
  });

  it("meets the backup image's own check of its rclone (images/backup/Dockerfile)", () => {
    const check = /grep -Eq '([^']+)'/.exec(read('images/backup/Dockerfile'))?.[1];
    expect(check).toBeDefined();
    expect(`rclone ${pinned('RCLONE_VERSION')}`).toMatch(new RegExp(check ?? '$^'));
  });

  it("meets package.json's engines.node, and @types/node has the same major", () => {
    const pkg = JSON.parse(read('package.json')) as { engines: { node: string }; devDependencies: Record<string, string> };
    const [major, minor] = pinned('NODE_VERSION').split('.').map(Number);
    const [, eMajor, eMinor] = /^\^(\d+)\.(\d+)\.\d+$/.exec(pkg.engines.node)?.map(Number) ?? [];
    expect(major).toBe(eMajor);
    expect(minor).toBeGreaterThanOrEqual(eMinor ?? Infinity);
    expect(pkg.devDependencies['@types/node']?.split('.')[0]).toBe(String(major));
  });

  it('is the only place a script pins a version (no VERSION="x.y" elsewhere in scripts/ or .ci/run)', () => {
    const files = [
      ...readdirSync(join(REPO, 'scripts'))
        .filter((f) => f.endsWith('.sh') && f !== 'versions.sh')
        .map((f) => `scripts/${f}`),
      '.ci/run',
    ];
    const pins = files.flatMap((f) => [...read(f).matchAll(/^\s*([A-Z_]*VERSION)=["']?v?\d+\.\d+/gm)].map((m) => `${f}: ${m[1]}`));
    expect(pins).toEqual([]);
  });
});
