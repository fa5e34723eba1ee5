/** Whole requests in, whole responses out, at the function's boundary. */
import { Ready, Severity, Status, Target, type RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { readFileSync, readdirSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { runFunction } from '../src/fn.js';
import { deepFreeze, deps, INPUT_HEAD, request, xr, type Obj, type RequestParts } from './support.js';

const run = (parts: RequestParts = {}): RunFunctionResponse => runFunction(deepFreeze(request(parts)), deps);

/** The observed resources of an examples/observed/<set> folder, keyed by pipeline name. */
function observedSet(set: string): Record<string, Obj> {
  const dir = `examples/observed/${set}`;
  return Object.fromEntries(
    readdirSync(dir).map((f) => {
      const o = parse(readFileSync(`${dir}/${f}`, 'utf8')) as Obj & { metadata: { annotations: Record<string, string> } };
      return [o.metadata.annotations['crossplane.io/composition-resource-name']!, o];
    }),
  );
}

const names = (res: RunFunctionResponse) => Object.keys(res.desired?.resources ?? {});
const conditions = (res: RunFunctionResponse) => Object.fromEntries(res.conditions.map((c) => [c.type, [c.status, c.reason]]));

describe('runFunction', () => {
  it('composes the three objects on the first reconcile, none ready yet, with a short TTL', () => {
    const res = run();
    expect(names(res)).toEqual([
      expect.stringMatching(/^route-[0-9a-f]{8}$/),
      expect.stringMatching(/^backup-[0-9a-f]{8}$/),
      expect.stringMatching(/^filestore-[0-9a-f]{8}$/),
    ]);
    const r = res.desired!.resources;
    expect(Object.values(r).map((x): unknown => x.resource?.['kind'])).toEqual(['HTTPRoute', 'CronJob', 'Job']);
    expect(Object.values(r).map((x) => x.ready)).toEqual([Ready.READY_FALSE, Ready.READY_FALSE, Ready.READY_FALSE]);
    expect(res.results).toEqual([]);
    expect(res.meta).toEqual({ tag: 'test-tag', ttl: { seconds: 15, nanos: 0 } });
    expect(conditions(res)).toEqual({
      RouteReady: [Status.STATUS_CONDITION_FALSE, 'Creating'],
      FilestoreReady: [Status.STATUS_CONDITION_FALSE, 'Creating'],
      BackupHealthy: [Status.STATUS_CONDITION_UNKNOWN, 'Creating'],
    });
  });

  it('writes the XR status fields', () => {
    expect(run().desired?.composite?.resource?.['status']).toEqual({
      hostnames: ['acme.planapulse.app'],
      url: 'https://acme.planapulse.app',
      database: 'acme.planapulse.app',
      namespace: 'plana-odoo-18',
      filestorePath: '/var/lib/odoo/filestore/acme.planapulse.app',
      backup: {
        schedule: '13 2 * * *',
        startTime: '02:13:41',
        timeZone: 'Europe/Sofia',
        encryption: 'age',
        location: 's3://plana-pulse-backups/acme/',
        retentionDays: 90,
      },
    });
  });

  it('reports plaintext backups in the status, only when the Input opts out', () => {
    const res = run({ input: { ...INPUT_HEAD, backup: { encryption: 'None' } } });
    expect((res.desired?.composite?.resource?.['status'] as Obj)['backup']).toMatchObject({ encryption: 'none' });
  });

  it("marks everything ready from the example's ready observed state, with the steady TTL and no results", () => {
    const res = run({ observed: observedSet('ready') });
    expect(Object.values(res.desired!.resources).map((x) => x.ready)).toEqual([Ready.READY_TRUE, Ready.READY_TRUE, Ready.READY_TRUE]);
    expect(res.meta?.ttl).toEqual({ seconds: 300, nanos: 0 });
    expect(res.results).toEqual([]);
    expect(conditions(res)).toEqual({
      RouteReady: [Status.STATUS_CONDITION_TRUE, 'Accepted'],
      FilestoreReady: [Status.STATUS_CONDITION_TRUE, 'Created'],
      BackupHealthy: [Status.STATUS_CONDITION_TRUE, 'BackedUp'],
    });
    expect((res.desired?.composite?.resource?.['status'] as Obj)['backup']).toMatchObject({ lastSuccessfulTime: '2026-11-22T00:58:41Z' });
  });

  it("reports the example's degraded state: a Warning per concern and False conditions", () => {
    const res = run({ observed: observedSet('degraded') });
    expect(res.results).toEqual([
      {
        severity: Severity.SEVERITY_WARNING,
        reason: 'RouteRejected',
        message:
          'listener https-app of Gateway plana-odoo/eg-gateway rejected the HTTPRoute: NotAllowedByListeners: No listeners included by this parent ref allowed this attachment.',
        target: Target.TARGET_COMPOSITE,
      },
      {
        severity: Severity.SEVERITY_WARNING,
        reason: 'JobFailed',
        message: 'the filestore Job failed: BackoffLimitExceeded: Job has reached the specified backoff limit',
        target: Target.TARGET_COMPOSITE,
      },
      // The CronJob's last schedule (today) is after its last success (4 days ago), nothing runs.
      {
        severity: Severity.SEVERITY_WARNING,
        reason: 'LastRunFailed',
        message:
          'the last scheduled backup run ended without success (failed, out of retries or past its deadline): see its Job and pod logs in the backup namespace',
        target: Target.TARGET_COMPOSITE,
      },
    ]);
    expect(conditions(res)).toEqual({
      RouteReady: [Status.STATUS_CONDITION_FALSE, 'RouteRejected'],
      FilestoreReady: [Status.STATUS_CONDITION_FALSE, 'JobFailed'],
      BackupHealthy: [Status.STATUS_CONDITION_FALSE, 'LastRunFailed'],
    });
    expect(res.meta?.ttl?.seconds).toBe(15);
    expect(res.conditions.every((c) => c.target === Target.TARGET_COMPOSITE_AND_CLAIM && c.message !== '')).toBe(true);
  });

  it('keeps resources and XR status from earlier pipeline steps untouched, and passes the context on', () => {
    const earlier = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'from-step-one' }, data: { a: '1' } };
    const context = { 'apiextensions.crossplane.io/environment': { region: 'bg' } };
    const res = run({ desired: { 'step-one': earlier }, desiredComposite: { status: { fromStepOne: true } }, context });
    expect(names(res)).toEqual([
      'step-one',
      expect.stringMatching(/^route-/),
      expect.stringMatching(/^backup-/),
      expect.stringMatching(/^filestore-/),
    ]);
    expect(res.desired?.resources['step-one']?.resource).toEqual(earlier);
    expect(res.desired?.composite?.resource?.['status']).toMatchObject({ fromStepOne: true, database: 'acme.planapulse.app' });
    expect(res.context).toEqual(context);
  });

  it('never mutates the request (it is deep-frozen here) and shares no composed object with it', () => {
    const req = deepFreeze(request({ observed: observedSet('ready'), desiredComposite: { status: { a: 1 } } }));
    const res = runFunction(req, deps);
    expect(res.desired?.composite?.resource).not.toBe(req.desired?.composite?.resource);
    expect(res.desired?.composite?.resource?.['status']).not.toBe(req.desired?.composite?.resource?.['status']);
  });

  it.each([
    {
      reason: 'a hostile subdomain',
      parts: { xr: xr({ subdomain: 'x; rm -rf /' }) },
      result: ['InvalidSpec', 'spec.subdomain: "x; rm -rf /" is not allowed: must be a DNS label'],
    },
    {
      reason: 'a bad tier',
      parts: { xr: xr({ tier: 'gold' }) },
      result: ['InvalidSpec', 'spec.tier: "gold" is not allowed: must be one of starter, pro, enterprise'],
    },
    {
      reason: 'a bad Input',
      parts: { input: { apiVersion: 'tenant.fn.planapulse.com/v1beta1', kind: 'Input', backup: { windowStartHour: 99 } } },
      result: ['InvalidInput', 'input.backup.windowStartHour: 99 is not allowed'],
    },
    {
      reason: 'no observed XR at all',
      parts: { xr: undefined as unknown as Obj },
      result: ['InvalidSpec', 'observed.composite: is required and must be the PLANAClient XR'],
    },
  ])('answers $reason with one Fatal, no objects, and the earlier desired state kept', ({ parts, result }) => {
    const earlier = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kept' } };
    const req = request({ ...parts, desired: { kept: earlier }, desiredComposite: { status: { kept: true } } });
    if (parts.xr === undefined) (req.observed!.composite as unknown) = undefined;
    const res = runFunction(deepFreeze(req), deps);
    expect(res.results).toHaveLength(1);
    expect(res.results[0]).toMatchObject({ severity: Severity.SEVERITY_FATAL, reason: result[0], target: Target.TARGET_COMPOSITE });
    expect(res.results[0]!.message).toContain(result[1]);
    expect(res.desired).toBe(req.desired);
    expect(names(res)).toEqual(['kept']);
    expect(res.conditions).toEqual([]);
  });

  it('refuses to overwrite a resource an earlier step put under one of its names', () => {
    const res = run({ desired: { 'route-1': { apiVersion: 'v1', kind: 'ConfigMap' } } });
    expect(res.results).toEqual([
      {
        severity: Severity.SEVERITY_FATAL,
        reason: 'ResourceNameConflict',
        message:
          'desired resource "route-1" was set by an earlier pipeline step: this step owns route-*, redirect-*, backup-*, filestore-*',
        target: Target.TARGET_COMPOSITE,
      },
    ]);
    expect(res.desired?.resources['route-1']?.resource).toEqual({ apiVersion: 'v1', kind: 'ConfigMap' });
  });

  it('drops an old filestore Job whose spec no longer matches (a new name replaces it)', () => {
    const observed = { ...observedSet('ready'), 'filestore-00000000': { apiVersion: 'batch/v1', kind: 'Job' } };
    expect(names(run({ observed }))).not.toContain('filestore-00000000');
  });

  it('is deterministic: the same request gives the same response', () => {
    expect(JSON.stringify(run({ observed: observedSet('degraded') }))).toBe(JSON.stringify(run({ observed: observedSet('degraded') })));
  });
});
