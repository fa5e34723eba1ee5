import { HTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { describe, expect, it } from 'vitest';
import { buildBackup } from '../src/builders/backup.js';
import { resolve } from '../src/plan.js';
import { buildFilestoreJob } from '../src/builders/filestore.js';
import { buildRoute } from '../src/builders/route.js';
import { ARCHIVE_SCRIPT, DUMP_SCRIPT, FILESTORE_SCRIPT, START_SCRIPT, UPLOAD_SCRIPT } from '../src/builders/scripts.js';
import type { Input } from '../src/input/schema.js';
import type { Tenant } from '../src/tenant.js';
import { expectGolden } from './golden.js';
import { defaults, input, tenant, type Obj, redirectOf } from './support.js';

const AGE = 'age1aq8ysk43qj8fqr5phrecukxu4xn59m5awmqvr083kwgfsrej7spsmmc4jv';
const ENCRYPTING = { backup: { ageRecipients: [AGE] } };
const PLAINTEXT = { backup: { encryption: 'None' } };

const cases: Array<{ name: string; tenant: () => Tenant; input: () => Input }> = [
  { name: 'acme', tenant: () => tenant(), input: defaults },
  {
    name: 'boreal-v19-alias',
    tenant: () => tenant({ subdomain: 'boreal', odooVersion: '19', tier: 'starter', projectId: 41, aliasDomains: ['planapulse.online'] }),
    input: defaults,
  },
  {
    name: 'zora-suspended-encrypted',
    tenant: () =>
      tenant(
        {
          subdomain: 'zora-holding',
          odooVersion: '17',
          tier: 'enterprise',
          projectId: 7,
          aliasDomains: ['planapulse.online', 'planapulse.dev'],
          backup: { suspend: true },
        },
        input(ENCRYPTING),
      ),
    input: () => input(ENCRYPTING),
  },
];

describe.each(cases)('builders for $name', ({ name, tenant: t, input: i }) => {
  it('HTTPRoute matches its golden file and the Gateway API schema', () => {
    const route = buildRoute(resolve(t(), i()).route);
    expectGolden(`${name}.httproute`, route);
    expect(() => new HTTPRoute(route).validate()).not.toThrow();
  });

  it('alias redirect HTTPRoute, when the tenant has aliases, matches its golden file and the Gateway API schema', () => {
    const redirect = redirectOf(resolve(t(), i()));
    expect(redirect === undefined).toBe(t().hostnames.length === 1);
    if (redirect === undefined) return;
    expectGolden(`${name}.redirect`, redirect);
    expect(() => new HTTPRoute(redirect).validate()).not.toThrow();
  });

  it('backup CronJob matches its golden file and the Kubernetes schema', () => {
    const cron = buildBackup(resolve(t(), i()).backup);
    expectGolden(`${name}.cronjob`, cron);
    expect(() => new CronJob(cron).validate()).not.toThrow();
  });

  it('filestore Job matches its golden file and the Kubernetes schema', () => {
    const { job } = buildFilestoreJob(resolve(t(), i()).filestore);
    expectGolden(`${name}.job`, job);
    expect(() => new Job(job).validate()).not.toThrow();
  });
});

describe('HTTPRoute', () => {
  it('attaches the canonical route to the primary listener only, and the redirect route once per alias listener', () => {
    const t = tenant({ aliasDomains: ['planapulse.dev', 'planapulse.online'] });
    expect(buildRoute(resolve(t, defaults()).route).spec?.parentRefs?.map((p) => p.sectionName)).toEqual(['https-app']);
    const redirect = redirectOf(resolve(t, defaults()));
    expect(redirect?.spec?.parentRefs?.map((p) => p.sectionName)).toEqual(['https-dev', 'https-online']);
    expect(
      [...(buildRoute(resolve(t, defaults()).route).spec?.parentRefs ?? []), ...(redirect?.spec?.parentRefs ?? [])].every(
        (p) => p.name === 'eg-gateway' && p.namespace === 'plana-odoo',
      ),
    ).toBe(true);
  });

  it('sends /websocket to 8072 and / to 8069 on worker-odoo, websocket first', () => {
    const rules = buildRoute(resolve(tenant(), defaults()).route).spec?.rules ?? [];
    expect(rules.map((r) => [r.matches?.[0]?.path?.value, r.backendRefs?.[0]?.name, r.backendRefs?.[0]?.port])).toEqual([
      ['/websocket', 'worker-odoo', 8072],
      ['/', 'worker-odoo', 8069],
    ]);
  });

  it('keeps the canonical route of a tenant with aliases exactly as it is without them: no Host rewrite reaches Odoo', () => {
    const plain = buildRoute(resolve(tenant(), defaults()).route);
    expect(buildRoute(resolve(tenant({ aliasDomains: ['planapulse.online', 'planapulse.dev'] }), defaults()).route)).toEqual(plain);
    expect(JSON.stringify(plain)).not.toContain('URLRewrite');
    expect(redirectOf(resolve(tenant(), defaults()))).toBeUndefined();
  });

  it('answers every alias host with a 301 to https://{canonical host}, path and query kept, and no backend', () => {
    const redirect = redirectOf(resolve(tenant({ aliasDomains: ['planapulse.online'] }), defaults()));
    expect(redirect?.metadata).toMatchObject({ name: 'acme.aliases', namespace: 'plana-odoo-18' });
    expect(redirect?.spec?.hostnames).toEqual(['acme.planapulse.online']);
    expect(redirect?.spec?.rules).toEqual([
      { filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', hostname: 'acme.planapulse.app', statusCode: 301 } }] },
    ]);
    // No path modifier: Gateway API keeps the request's path (and Envoy its query) on a redirect.
    expect(JSON.stringify(redirect)).not.toMatch(/backendRefs|replaceFullPath|replacePrefixMatch/);
    const permanent = redirectOf(
      resolve(tenant({ aliasDomains: ['planapulse.online'] }), input({ gateway: { aliasRedirectStatusCode: 308 } })),
    );
    expect(permanent?.spec?.rules?.[0]?.filters?.[0]?.requestRedirect?.statusCode).toBe(308);
  });

  it('lets Odoo run long requests (Envoy Gateway cuts at 15 s by default) and never times out the websocket', () => {
    const [websocket, root] = buildRoute(resolve(tenant(), defaults()).route).spec?.rules ?? [];
    expect(websocket?.timeouts).toEqual({ request: '0s' });
    expect(root?.timeouts).toEqual({ request: '300s' });
    const [ws2, root2] = buildRoute(resolve(tenant(), input({ gateway: { requestTimeout: '10m' } })).route).spec?.rules ?? [];
    expect(root2?.timeouts).toEqual({ request: '10m' });
    expect(ws2?.timeouts).toEqual({ request: '0s' });
  });
});

/** Every pod template this function emits. */
function pods(): Array<{ what: string; spec: Obj }> {
  const t = tenant();
  const encrypting = input(ENCRYPTING);
  return [
    { what: 'backup', spec: buildBackup(resolve(t, defaults()).backup).spec?.jobTemplate.spec?.template.spec as unknown as Obj },
    {
      what: 'backup (inline recipients)',
      spec: buildBackup(resolve(t, encrypting).backup).spec?.jobTemplate.spec?.template.spec as unknown as Obj,
    },
    {
      what: 'backup (plaintext)',
      spec: buildBackup(resolve(t, input(PLAINTEXT)).backup).spec?.jobTemplate.spec?.template.spec as unknown as Obj,
    },
    { what: 'filestore', spec: buildFilestoreJob(resolve(t, defaults()).filestore).job.spec?.template.spec as unknown as Obj },
  ];
}

describe.each(pods())('the $what pod', ({ spec }) => {
  const containers = [...((spec['initContainers'] as Obj[] | undefined) ?? []), ...(spec['containers'] as Obj[])];

  it('meets the restricted Pod Security Standard', () => {
    expect(spec['automountServiceAccountToken']).toBe(false);
    expect(spec['securityContext']).toEqual({
      runAsNonRoot: true,
      runAsUser: 101,
      runAsGroup: 101,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(spec['hostNetwork'] ?? spec['hostPID'] ?? spec['hostIPC']).toBeUndefined();
    for (const c of containers) {
      expect(c['securityContext']).toEqual({
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        privileged: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
      });
    }
    // Restricted allows only these volume types (no hostPath, no inline nfs).
    for (const v of spec['volumes'] as Obj[])
      expect(Object.keys(v).filter((k) => k !== 'name')).toSatisfy((k: string[]) => ['emptyDir', 'persistentVolumeClaim'].includes(k[0]!));
  });

  it('gives every container requests, limits and an image pinned by tag', () => {
    for (const c of containers) {
      const r = c['resources'] as { requests: Obj; limits: Obj };
      expect(['cpu', 'memory'].every((k) => k in r.requests && k in r.limits)).toBe(true);
      expect(c['image']).toMatch(/:[A-Za-z0-9_][A-Za-z0-9_.-]*$/);
      expect(c['image']).not.toMatch(/:latest$/);
    }
  });

  it('runs only constant scripts: no user value in any command line', () => {
    const scripts = [START_SCRIPT, DUMP_SCRIPT, ARCHIVE_SCRIPT, UPLOAD_SCRIPT, FILESTORE_SCRIPT];
    for (const c of containers) {
      const command = c['command'] as string[];
      expect(command.slice(0, 2)).toSatisfy((head: string[]) => ['/bin/sh', '/bin/bash'].includes(head[0]!) && head[1] === '-c');
      expect(scripts).toContain(command[2]);
      expect(c['args']).toBeUndefined();
      expect(JSON.stringify(command)).not.toContain('acme');
    }
  });
});

describe('backup CronJob', () => {
  const cron = () => buildBackup(resolve(tenant(), defaults()).backup);

  it('runs daily inside the window in Europe/Sofia, one at a time, with bounded history and deadlines', () => {
    expect(cron().spec).toMatchObject({
      schedule: expect.stringMatching(/^([0-9]|[1-5][0-9]) 2 \* \* \*$/),
      timeZone: 'Europe/Sofia',
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
    });
    expect(cron().spec?.jobTemplate.spec).toMatchObject({ backoffLimit: 2, activeDeadlineSeconds: 7200 });
    expect(cron().spec?.suspend).toBeUndefined();
  });

  it('reads every credential from a Secret by reference', () => {
    const text = JSON.stringify(cron());
    const env = [
      ...(cron().spec?.jobTemplate.spec?.template.spec?.initContainers ?? []),
      ...(cron().spec?.jobTemplate.spec?.template.spec?.containers ?? []),
    ].flatMap((c) => c.env ?? []);
    const secretVars = env.filter((e) => e.valueFrom?.secretKeyRef !== undefined).map((e) => e.name);
    expect(secretVars.sort()).toEqual(['PGPASSWORD', 'PGUSER', 'RCLONE_CONFIG_SOS_ACCESS_KEY_ID', 'RCLONE_CONFIG_SOS_SECRET_ACCESS_KEY']);
    expect(env.filter((e) => /PASSWORD|SECRET|ACCESS_KEY/.test(e.name)).every((e) => e.value === undefined)).toBe(true);
    expect(text).not.toMatch(/password"\s*:\s*"[^"]/i);
  });

  it('mounts the filestore read-only and passes the tenant only as data', () => {
    const spec = cron().spec?.jobTemplate.spec?.template.spec;
    expect(spec?.volumes).toContainEqual({ name: 'filestore', persistentVolumeClaim: { claimName: 'odoo-filestore-18', readOnly: true } });
    const archive = spec?.initContainers?.find((c) => c.name === 'filestore');
    expect(archive?.volumeMounts).toContainEqual({ name: 'filestore', mountPath: '/filestore', readOnly: true });
    expect(archive?.env?.slice(0, 2)).toEqual([
      { name: 'FILESTORE_ROOT', value: '/filestore' },
      { name: 'DATABASE', value: 'acme.planapulse.app' },
    ]);
  });

  it('runs four steps in the one backup image under bash (pipefail), the upload last', () => {
    const spec = cron().spec?.jobTemplate.spec?.template.spec;
    expect(spec?.initContainers?.map((c) => c.name)).toEqual(['start', 'dump', 'filestore']);
    expect(spec?.containers.map((c) => c.name)).toEqual(['upload']);
    for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
      expect(c.image).toBe('git.planapulse.com/plana-pulse/tenant-backup:1.0.0-pg17-rclone1.76.0');
      expect(c.command?.[0]).toBe('/bin/bash');
    }
    expect(spec?.containers[0]?.env).toContainEqual({ name: 'PREFIX', value: 'acme/' });
    expect(spec?.containers[0]?.env).toContainEqual({ name: 'RCLONE_CONFIG', value: '/dev/null' });
  });

  it('encrypts by default, to the recipients ConfigMap; inline recipients replace it; None is the only way to plaintext', () => {
    const envOf = (i: Input, name: string) =>
      buildBackup(resolve(tenant(), i).backup).spec?.jobTemplate.spec?.template.spec?.initContainers?.find((c) => c.name === name)?.env ??
      [];
    for (const step of ['dump', 'filestore']) {
      expect(envOf(defaults(), step)).toContainEqual({ name: 'ENCRYPTION', value: 'age' });
      expect(envOf(defaults(), step)).toContainEqual({
        name: 'AGE_RECIPIENTS',
        valueFrom: { configMapKeyRef: { name: 'backup-age-recipients', key: 'recipients' } },
      });
      expect(envOf(input(ENCRYPTING), step)).toContainEqual({ name: 'AGE_RECIPIENTS', value: AGE });
      expect(envOf(input(PLAINTEXT), step)).toContainEqual({ name: 'ENCRYPTION', value: 'none' });
      expect(envOf(input(PLAINTEXT), step).map((e) => e.name)).not.toContain('AGE_RECIPIENTS');
    }
  });

  it('bounds its disk: one emptyDir with a sizeLimit, and that much ephemeral storage requested and limited by every step', () => {
    const spec = buildBackup(resolve(tenant(), input({ backup: { workVolumeSize: '60Gi' } })).backup).spec?.jobTemplate.spec?.template.spec;
    const emptyDirs = (spec?.volumes ?? []).filter((v) => v.emptyDir !== undefined);
    expect(emptyDirs).toEqual([{ name: 'work', emptyDir: { sizeLimit: '60Gi' } }]);
    for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
      expect(c.resources?.requests?.['ephemeral-storage']).toBe('60Gi');
      expect(c.resources?.limits?.['ephemeral-storage']).toBe('60Gi');
      expect(c.securityContext?.readOnlyRootFilesystem).toBe(true);
    }
  });

  it("starts at the tenant's second: cron picks the minute, START_SECOND the second", () => {
    const spec = buildBackup(resolve(tenant({ projectId: 23 }), defaults()).backup).spec;
    const start = spec?.jobTemplate.spec?.template.spec?.initContainers?.[0];
    const second = Number(start?.env?.find((e) => e.name === 'START_SECOND')?.value);
    expect(Number.isInteger(second) && second >= 0 && second < 60).toBe(true);
    expect(start?.env).toEqual([{ name: 'START_SECOND', value: String(second) }]);
  });

  it('never overwrites: timestamped names, rclone copyto --immutable, the manifest last', () => {
    expect(DUMP_SCRIPT).toContain('backup-$stamp.dump.gz');
    expect(ARCHIVE_SCRIPT).toContain('filestore-$stamp.tar.gz');
    expect(START_SCRIPT).toContain('date -u +%Y%m%dT%H%M%S');
    expect(UPLOAD_SCRIPT).toContain('rclone copyto --immutable');
    expect(UPLOAD_SCRIPT).toContain('for f in "${objects[@]}" "$manifest"; do');
    for (const script of [START_SCRIPT, DUMP_SCRIPT, ARCHIVE_SCRIPT, UPLOAD_SCRIPT, FILESTORE_SCRIPT]) {
      expect(script).not.toMatch(/\brm\b|\bdelete\b|\bpurge\b|rclone (sync|move)/);
    }
  });

  it('suspends when the XR asks', () => {
    expect(buildBackup(resolve(tenant({ backup: { suspend: true } }), defaults()).backup).spec?.suspend).toBe(true);
  });
});

describe('filestore Job', () => {
  it('has no ttlSecondsAfterFinished (Crossplane would recreate and re-run it)', () => {
    expect(buildFilestoreJob(resolve(tenant(), defaults()).filestore).job.spec).not.toHaveProperty('ttlSecondsAfterFinished');
  });

  it('is named after a hash of its spec: same spec, same name; changed spec, new name', () => {
    const a = buildFilestoreJob(resolve(tenant(), defaults()).filestore);
    expect(buildFilestoreJob(resolve(tenant(), defaults()).filestore).job.metadata?.name).toBe(a.job.metadata?.name);
    expect(a.job.metadata?.name).toBe(`filestore-acme-${a.hash}`);
    expect(a.hash).toMatch(/^[0-9a-f]{8}$/);
    const changed = buildFilestoreJob(resolve(tenant(), input({ filestoreJob: { mode: '0770' } })).filestore);
    expect(changed.hash).not.toBe(a.hash);
    // Labels outside the pod template do not force a new Job.
    expect(buildFilestoreJob(resolve(tenant({ ownerName: 'Renamed' }), defaults()).filestore).hash).toBe(a.hash);
  });

  it('creates {filestoreSubPath}/{database} as the Odoo user with the configured mode', () => {
    const c = buildFilestoreJob(resolve(tenant(), input({ odoo: { filestoreSubPath: 'filestore' } })).filestore).job.spec?.template.spec
      ?.containers[0];
    expect(c?.env).toEqual([
      { name: 'FILESTORE_ROOT', value: '/filestore/filestore' },
      { name: 'DATABASE', value: 'acme.planapulse.app' },
      { name: 'DIR_MODE', value: '0750' },
      { name: 'ODOO_UID', value: '101' },
    ]);
  });
});
