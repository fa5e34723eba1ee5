/**
 * Scenario 3: a tenant's life under real Crossplane v2 — an Odoo major upgrade, an alias tenant,
 * a spec change that must (and one that must not) replace the filestore Job, and deletion, which
 * the garbage collector does and which must leave the tenant's data and everyone else's objects.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { field, K, meta, type Obj, waitFor } from './kube.js';
import { playGateway, playJob, waitConditions } from './play.js';
import { EXAMPLES, startV2, type V2 } from './v2.js';

let env: V2;

beforeAll(async () => {
  env = await startV2('lifecycle');
}, 300_000);

afterAll(async () => {
  await env?.cp.stop();
});

const nameOf = (o: Obj): string => meta(o)['name'] as string;
const nsOf = (o: Obj): string => meta(o)['namespace'] as string;
const uidOf = (o: Obj): string => meta(o)['uid'] as string;
const sel = (xr: string): string => `crossplane.io/composite=${xr}`;

async function objectsOf(xr: string): Promise<{ routes: Obj[]; cronJobs: Obj[]; jobs: Obj[] }> {
  const [routes, cronJobs, jobs] = await Promise.all([
    env.admin.list(K.httpRoute, undefined, sel(xr)),
    env.admin.list(K.cronJob, undefined, sel(xr)),
    env.admin.list(K.job, undefined, sel(xr)),
  ]);
  return { routes, cronJobs, jobs };
}

/** Plays the gateway for every route and the Job controller for every unfinished Job of a tenant. */
async function settle(xr: string): Promise<void> {
  const { routes, jobs } = await objectsOf(xr);
  for (const r of routes) await playGateway(env.admin, nsOf(r), nameOf(r));
  for (const j of jobs) {
    const done = ((field(j, 'status', 'conditions') as Obj[] | undefined) ?? []).some((c) => c['type'] === 'Complete');
    if (!done) await playJob(env.admin, nsOf(j), nameOf(j), 'Complete');
  }
}

async function readyTenant(doc: Obj | string, name: string): Promise<void> {
  if (typeof doc === 'string') await env.admin.apply([doc]);
  else await env.admin.applyDoc(doc);
  await waitFor(`${name}'s objects`, async () => {
    const o = await objectsOf(name);
    return o.routes.length > 0 && o.cronJobs.length === 1 && o.jobs.length === 1 ? true : undefined;
  });
  await settle(name);
  await waitConditions(env.admin, K.planaClient, undefined, name, [{ type: 'Ready', status: 'True' }]);
}

const tenant = (name: string, spec: Obj = {}): Obj => ({
  apiVersion: 'planapulse.com/v1alpha1',
  kind: 'PLANAClient',
  metadata: { name },
  spec: { subdomain: name, projectId: 31, tier: 'pro', odooVersion: '18', ...spec },
});

describe('scenario 3: lifecycle', () => {
  it('an alias tenant (examples/xr-v19-alias.yaml) gets a redirect to its canonical host, and nothing for the alias reaches Odoo', async () => {
    await readyTenant(join(EXAMPLES, 'xr-v19-alias.yaml'), 'boreal');
    const { routes } = await objectsOf('boreal');
    const canonical = 'boreal.planapulse.app';
    const alias = 'boreal.planapulse.online';
    const hostsOf = (r: Obj): string[] => (field(r, 'spec', 'hostnames') as string[] | undefined) ?? [];
    const rulesOf = (r: Obj): Obj[] => (field(r, 'spec', 'rules') as Obj[] | undefined) ?? [];

    // The canonical route serves the canonical host only, untouched: no Host rewrite.
    const main = routes.filter((r) => hostsOf(r).includes(canonical));
    expect(main.length).toBe(1);
    expect(hostsOf(main[0]!)).toEqual([canonical]);
    expect(JSON.stringify(rulesOf(main[0]!))).not.toContain('URLRewrite');

    // The alias host is answered by a redirect: every rule redirects, none has a backend.
    const aliasRoutes = routes.filter((r) => hostsOf(r).includes(alias));
    expect(aliasRoutes.length).toBe(1);
    for (const rule of rulesOf(aliasRoutes[0]!)) {
      expect(rule['backendRefs'] ?? []).toEqual([]);
      const filters = (rule['filters'] as Obj[] | undefined) ?? [];
      expect(filters).toContainEqual(
        expect.objectContaining({
          type: 'RequestRedirect',
          requestRedirect: expect.objectContaining({ scheme: 'https', hostname: canonical, statusCode: 301 }),
        }),
      );
    }
  });

  it('an upgrade 18 -> 19 ends with the route in plana-odoo-19, none in plana-odoo-18, a new filestore Job, and RouteReady following the new route', async () => {
    await readyTenant(tenant('omega'), 'omega');
    const before = await objectsOf('omega');
    expect(before.routes.map((r) => `${nsOf(r)}/${nameOf(r)}`)).toEqual(['plana-odoo-18/omega']);
    const oldJob = before.jobs[0]!;

    await env.admin.patch(K.planaClient, undefined, 'omega', { spec: { odooVersion: '19' } });

    // Until the gateway accepts the new route, the XR must not claim the route is ready.
    const xr = await waitConditions(env.admin, K.planaClient, undefined, 'omega', [{ type: 'RouteReady', status: 'False' }]);
    expect(field(xr, 'status', 'namespace')).toBe('plana-odoo-19');

    const after = await waitFor(
      'the route to move to plana-odoo-19 and the old one to go',
      async () => {
        const o = await objectsOf('omega');
        const where = o.routes.map((r) => `${nsOf(r)}/${nameOf(r)}`);
        return where.length === 1 && where[0] === 'plana-odoo-19/omega' ? o : undefined;
      },
      60_000,
    ).catch(async (e: Error) => {
      const o = await objectsOf('omega');
      throw new Error(`${e.message}; routes now: ${JSON.stringify(o.routes.map((r) => `${nsOf(r)}/${nameOf(r)}`))}`);
    });
    // Crossplane deletes the old route in the foreground: it is gone once the garbage collector is done.
    await waitFor(
      'the v18 route to be gone',
      async () => ((await env.admin.get(K.httpRoute, 'plana-odoo-18', 'omega')) === undefined ? true : undefined),
      60_000,
    );

    // The filestore Job mounts the version's claim: a new Job replaced the old one.
    await waitFor('the v18 filestore Job to be replaced', async () => {
      const o = await objectsOf('omega');
      return o.jobs.length === 1 && nameOf(o.jobs[0]!) !== nameOf(oldJob) ? true : undefined;
    });
    await waitFor(
      'the v18 filestore Job to be gone',
      async () => ((await env.admin.get(K.job, 'crossplane-system', nameOf(oldJob))) === undefined ? true : undefined),
      60_000,
    );
    void after;

    await settle('omega');
    await waitConditions(env.admin, K.planaClient, undefined, 'omega', [
      { type: 'RouteReady', status: 'True' },
      { type: 'FilestoreReady', status: 'True' },
      { type: 'Ready', status: 'True' },
    ]);
  });

  it('a change that does not change what the filestore Job does (tier, projectId) keeps the same Job', async () => {
    const { jobs } = await objectsOf('omega');
    const job = jobs[0]!;
    await env.admin.patch(K.planaClient, undefined, 'omega', { spec: { tier: 'enterprise', projectId: 32 } });
    await waitFor('the XR to reflect the new tier', async () => {
      const xr = await env.admin.get(K.planaClient, undefined, 'omega');
      return field(xr, 'status', 'backup', 'retentionDays') === 365 ? true : undefined;
    });
    const now = await objectsOf('omega');
    expect(now.jobs.map(uidOf)).toEqual([uidOf(job)]);
  });

  it('deleting the XR removes exactly its composed objects; namespaces, PVCs, Secrets and other tenants stay', async () => {
    const mine = await objectsOf('omega');
    const theirs = await objectsOf('boreal');
    const keep = async (): Promise<string[]> => {
      const ns = (await env.admin.list(K.namespace)).map(nameOf);
      const pvcs = [...(await env.admin.list(K.pvc, 'crossplane-system')), ...(await env.admin.list(K.pvc, 'backup'))].map(
        (o) => `${nsOf(o)}/${nameOf(o)}`,
      );
      const secrets = (await env.admin.list(K.secret, 'backup')).map((o) => `${nsOf(o)}/${nameOf(o)}`);
      return [...ns.map((n) => `ns/${n}`), ...pvcs, ...secrets].sort();
    };
    const kept = await keep();
    expect(kept).toEqual(
      expect.arrayContaining([
        'ns/plana-odoo-18',
        'ns/plana-odoo-19',
        'ns/backup',
        'crossplane-system/odoo-filestore-19',
        'backup/odoo-filestore-19',
        'backup/pg01-backup',
        'backup/sos-backup',
      ]),
    );

    await env.admin.delete(K.planaClient, undefined, 'omega');
    await waitFor(
      'omega and its objects to be gone',
      async () => {
        const xr = await env.admin.get(K.planaClient, undefined, 'omega');
        const left = await objectsOf('omega');
        return xr === undefined && left.routes.length + left.cronJobs.length + left.jobs.length === 0 ? true : undefined;
      },
      60_000,
    );
    for (const r of mine.routes) expect(await env.admin.get(K.httpRoute, nsOf(r), nameOf(r))).toBeUndefined();
    for (const c of mine.cronJobs) expect(await env.admin.get(K.cronJob, nsOf(c), nameOf(c))).toBeUndefined();
    for (const j of mine.jobs) expect(await env.admin.get(K.job, nsOf(j), nameOf(j))).toBeUndefined();

    expect(await keep()).toEqual(kept);
    const still = await objectsOf('boreal');
    expect([...still.routes, ...still.cronJobs, ...still.jobs].map(uidOf).sort()).toEqual(
      [...theirs.routes, ...theirs.cronJobs, ...theirs.jobs].map(uidOf).sort(),
    );
    await waitConditions(env.admin, K.planaClient, undefined, 'boreal', [{ type: 'Ready', status: 'True' }]);
  });
});
