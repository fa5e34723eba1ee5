/**
 * Scenario 1: Crossplane v2, the cluster-scoped PLANAClient (Direct mode). The examples applied
 * as the README says; the API server accepts what the function composes; the XR's status and
 * conditions follow the gateway, the Job controller and the CronJob controller, played through
 * the status subresource only.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { condition, field, K, meta, type Obj, waitFor } from './kube.js';
import { eventsFor, playCronJob, playGateway, playJob, resourceRefs, waitConditions } from './play.js';
import { applyExample, EXAMPLES, startV2, type V2 } from './v2.js';

let env: V2;

beforeAll(async () => {
  env = await startV2('direct');
}, 300_000);

afterAll(async () => {
  await env?.cp.stop();
});

/** The composed objects of a tenant, found by the label Crossplane puts on them. */
async function composed(xr: string): Promise<{ route: Obj; cronJob: Obj; job: Obj }> {
  return waitFor(`${xr}'s HTTPRoute, CronJob and Job`, async () => {
    const sel = `crossplane.io/composite=${xr}`;
    const [routes, cronJobs, jobs] = await Promise.all([
      env.admin.list(K.httpRoute, undefined, sel),
      env.admin.list(K.cronJob, undefined, sel),
      env.admin.list(K.job, undefined, sel),
    ]);
    if (routes.length !== 1 || cronJobs.length !== 1 || jobs.length !== 1) return undefined;
    return { route: routes[0]!, cronJob: cronJobs[0]!, job: jobs[0]! };
  });
}

const nameOf = (o: Obj): string => meta(o)['name'] as string;
const nsOf = (o: Obj): string => meta(o)['namespace'] as string;

describe('scenario 1: v2 cluster-scoped XR, Direct', () => {
  it('composes acme (examples/xr.yaml) into objects the real API server accepted, owned by the XR', async () => {
    await applyExample(env.admin, join(EXAMPLES, 'xr.yaml'));
    const { route, cronJob, job } = await composed('acme');
    const xr = await env.admin.mustGet(K.planaClient, undefined, 'acme');

    expect([nsOf(route), nameOf(route)]).toEqual(['plana-odoo-18', 'acme']);
    expect(field(route, 'spec', 'hostnames')).toEqual(['acme.planapulse.app']);
    expect((field(route, 'spec', 'parentRefs') as Obj[]).map((p) => [p['namespace'], p['name'], p['sectionName']])).toEqual([
      ['plana-odoo', 'eg-gateway', 'https-app'],
    ]);
    expect([nsOf(cronJob), nameOf(cronJob)]).toEqual(['backup', 'backup-acme']);
    expect(field(cronJob, 'spec', 'timeZone')).toBe('Europe/Sofia');
    expect(nsOf(job)).toBe('crossplane-system');
    expect(nameOf(job)).toMatch(/^filestore-acme-[0-9a-z]+$/);

    // Crossplane v2 makes the XR each object's controller: the garbage collector deletes them with it.
    const uid = meta(xr)['uid'];
    for (const o of [route, cronJob, job]) {
      const owners = (meta(o)['ownerReferences'] as Obj[] | undefined) ?? [];
      expect(owners).toContainEqual(expect.objectContaining({ kind: 'PLANAClient', name: 'acme', uid, controller: true }));
    }
    expect(
      resourceRefs(xr)
        .map((r) => `${r.kind} ${r.namespace ?? ''}/${r.name}`)
        .sort(),
    ).toEqual([`CronJob backup/backup-acme`, `HTTPRoute plana-odoo-18/acme`, `Job crossplane-system/${nameOf(job)}`].sort());
  });

  it("shows the tenant's status and, before any controller has acted, why it is not ready", async () => {
    const xr = await waitConditions(env.admin, K.planaClient, undefined, 'acme', [
      { type: 'Synced', status: 'True' },
      { type: 'Ready', status: 'False' },
      { type: 'RouteReady', status: 'False', reason: 'AwaitingGateway' },
      { type: 'BackupHealthy', status: 'Unknown', reason: 'AwaitingFirstBackup' },
    ]);
    expect(condition(xr, 'FilestoreReady')?.status).not.toBe('True');
    expect(field(xr, 'status', 'hostnames')).toEqual(['acme.planapulse.app']);
    expect(field(xr, 'status', 'url')).toBe('https://acme.planapulse.app');
    expect(field(xr, 'status', 'database')).toBe('acme.planapulse.app');
    expect(field(xr, 'status', 'namespace')).toBe('plana-odoo-18');
    expect(field(xr, 'status', 'filestorePath')).toBe('/var/lib/odoo/filestore/acme.planapulse.app');
    expect(field(xr, 'status', 'backup', 'timeZone')).toBe('Europe/Sofia');
    expect(field(xr, 'status', 'backup', 'location')).toBe('s3://plana-pulse-backups/acme/');
    expect(field(xr, 'status', 'backup', 'retentionDays')).toBe(90);
    const { cronJob } = await composed('acme');
    expect(field(xr, 'status', 'backup', 'schedule')).toBe(field(cronJob, 'spec', 'schedule'));
  });

  it('becomes Ready=True once the gateway accepts the route and the filestore Job completes', async () => {
    const { route, job } = await composed('acme');
    await playGateway(env.admin, nsOf(route), nameOf(route), { accepted: true });
    await playJob(env.admin, nsOf(job), nameOf(job), 'Complete');
    await waitConditions(env.admin, K.planaClient, undefined, 'acme', [
      { type: 'Ready', status: 'True' },
      { type: 'Synced', status: 'True' },
      { type: 'RouteReady', status: 'True', reason: 'Accepted' },
      { type: 'FilestoreReady', status: 'True', reason: 'Created' },
    ]);
  });

  it('reports the last successful backup and BackupHealthy=True', async () => {
    const { cronJob } = await composed('acme');
    const written = await playCronJob(env.admin, nsOf(cronJob), nameOf(cronJob), 1);
    const xr = await waitConditions(env.admin, K.planaClient, undefined, 'acme', [
      { type: 'BackupHealthy', status: 'True', reason: 'BackedUp' },
      { type: 'Ready', status: 'True' },
    ]);
    expect(field(xr, 'status', 'backup', 'lastSuccessfulTime')).toBe(field(written, 'status', 'lastSuccessfulTime'));
  });

  it('shows a rejected route, a failed Job and a failed backup run on the XR, with Warning events', async () => {
    const xrDoc = {
      apiVersion: 'planapulse.com/v1alpha1',
      kind: 'PLANAClient',
      metadata: { name: 'delta' },
      spec: { subdomain: 'delta', projectId: 5, tier: 'starter', odooVersion: '19' },
    };
    await env.admin.applyDoc(xrDoc);
    const { route, cronJob, job } = await composed('delta');
    expect(nsOf(route)).toBe('plana-odoo-19');
    await playGateway(env.admin, nsOf(route), nameOf(route), {
      accepted: false,
      reason: 'NotAllowedByListeners',
      message: 'hostname not allowed',
    });
    await playJob(env.admin, nsOf(job), nameOf(job), 'Failed');
    // The CronJob ran an hour ago, but its last success is 30 h old: that run failed.
    await playCronJob(env.admin, nsOf(cronJob), nameOf(cronJob), 30, 1);
    await waitConditions(env.admin, K.planaClient, undefined, 'delta', [
      { type: 'Ready', status: 'False' },
      { type: 'RouteReady', status: 'False', reason: 'RouteRejected' },
      { type: 'FilestoreReady', status: 'False', reason: 'JobFailed' },
      // README: a scheduled run that ended without success shows at once, as LastRunFailed.
      { type: 'BackupHealthy', status: 'False', reason: 'LastRunFailed' },
    ]);
    // Crossplane turns the function's Warning results into Warning events on the XR.
    const reasons = await waitFor('Warning events on delta', async () => {
      const evs = (await eventsFor(env.admin, 'delta')).filter((e) => e['type'] === 'Warning');
      const msgs = evs.map((e) => String(e['message']));
      const want = [/route/i, /job/i, /backup/i];
      return want.every((w) => msgs.some((m) => w.test(m))) ? msgs : undefined;
    });
    expect(reasons.length).toBeGreaterThanOrEqual(3);
    // acme is untouched by delta's troubles.
    const acme = await env.admin.mustGet(K.planaClient, undefined, 'acme');
    expect(condition(acme, 'Ready')?.status).toBe('True');
  });

  it('shows a stale backup: the last run, 30 h ago, succeeded and none has run since', async () => {
    const { cronJob } = await composed('acme');
    await playCronJob(env.admin, nsOf(cronJob), nameOf(cronJob), 30);
    await waitConditions(env.admin, K.planaClient, undefined, 'acme', [{ type: 'BackupHealthy', status: 'False', reason: 'BackupStale' }]);
  });

  it('has the API server refuse what the XRD forbids before the function ever sees it', async () => {
    await expect(env.admin.apply([join(EXAMPLES, 'xr-invalid.yaml')])).rejects.toThrow(/spec\.subdomain/);
    await expect(
      env.admin.applyDoc({
        apiVersion: 'planapulse.com/v1alpha1',
        kind: 'PLANAClient',
        metadata: { name: 'www' },
        spec: { subdomain: 'www', projectId: 1, tier: 'pro' },
      }),
    ).rejects.toThrow(/subdomain is reserved for the platform/);
    expect(await env.admin.get(K.planaClient, undefined, 'evil')).toBeUndefined();
  });
});
