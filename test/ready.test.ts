import { describe, expect, it } from 'vitest';
import type { ParentRef } from '../src/plan.js';
import { backupHealth } from '../src/readiness/backup-health.js';
import { cronJobVerdict } from '../src/readiness/cronjob.js';
import { routeVerdict } from '../src/readiness/httproute.js';
import { jobVerdict } from '../src/readiness/job.js';
import { NOW, type Obj } from './support.js';

const ref = (sectionName: string): ParentRef => ({
  group: 'gateway.networking.k8s.io',
  kind: 'Gateway',
  name: 'eg-gateway',
  namespace: 'plana-odoo',
  sectionName,
});
const APP = ref('https-app');
const ONLINE = ref('https-online');

const cond = (type: string, status: string, reason = type, message = '', observedGeneration = 1) => ({
  type,
  status,
  reason,
  message,
  observedGeneration,
});
const parent = (section: string, conditions: Obj[], extra: Obj = {}) => ({
  controllerName: 'gateway.envoyproxy.io/gatewayclass-controller',
  parentRef: {
    group: 'gateway.networking.k8s.io',
    kind: 'Gateway',
    name: 'eg-gateway',
    namespace: 'plana-odoo',
    sectionName: section,
    ...extra,
  },
  conditions,
});
const route = (parents: Obj[] | undefined, generation = 1): Obj => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'acme', namespace: 'plana-odoo-18', generation },
  ...(parents === undefined ? {} : { status: { parents } }),
});
const OK = [cond('Accepted', 'True'), cond('ResolvedRefs', 'True')];

describe('routeVerdict: the readiness matrix', () => {
  it.each([
    { reason: 'not created yet', observed: undefined, refs: [APP], want: [false, false, 'Creating'] },
    { reason: 'created, no status yet', observed: route(undefined), refs: [APP], want: [false, false, 'AwaitingGateway'] },
    { reason: 'accepted and resolved', observed: route([parent('https-app', OK)]), refs: [APP], want: [true, false, 'Accepted'] },
    {
      reason: 'Accepted=False',
      observed: route([parent('https-app', [cond('Accepted', 'False', 'NotAllowedByListeners', 'nope'), cond('ResolvedRefs', 'True')])]),
      refs: [APP],
      want: [false, true, 'RouteRejected'],
    },
    {
      reason: 'ResolvedRefs=False',
      observed: route([parent('https-app', [cond('Accepted', 'True'), cond('ResolvedRefs', 'False', 'BackendNotFound', 'no svc')])]),
      refs: [APP],
      want: [false, true, 'UnresolvedRefs'],
    },
    {
      reason: 'Accepted=Unknown',
      observed: route([parent('https-app', [cond('Accepted', 'Unknown'), cond('ResolvedRefs', 'True')])]),
      refs: [APP],
      want: [false, false, 'AwaitingGateway'],
    },
    {
      reason: 'only Accepted reported',
      observed: route([parent('https-app', [cond('Accepted', 'True')])]),
      refs: [APP],
      want: [false, false, 'AwaitingGateway'],
    },
    {
      reason: 'one of two listeners reported',
      observed: route([parent('https-app', OK)]),
      refs: [APP, ONLINE],
      want: [false, false, 'AwaitingGateway'],
    },
    {
      reason: 'both listeners accepted',
      observed: route([parent('https-app', OK), parent('https-online', OK)]),
      refs: [APP, ONLINE],
      want: [true, false, 'Accepted'],
    },
    {
      reason: 'second listener rejected',
      observed: route([
        parent('https-app', OK),
        parent('https-online', [cond('Accepted', 'False', 'NoMatchingListenerHostname'), cond('ResolvedRefs', 'True')]),
      ]),
      refs: [APP, ONLINE],
      want: [false, true, 'RouteRejected'],
    },
    {
      reason: 'status for another gateway only',
      observed: route([parent('https-app', OK, { name: 'other-gateway' })]),
      refs: [APP],
      want: [false, false, 'AwaitingGateway'],
    },
    {
      reason: 'status for another listener only',
      observed: route([parent('https-dev', OK)]),
      refs: [APP],
      want: [false, false, 'AwaitingGateway'],
    },
    {
      reason: 'status of an older generation',
      observed: route([parent('https-app', OK)], 2),
      refs: [APP],
      want: [false, false, 'AwaitingGateway'],
    },
    {
      reason: 'status of an older generation even if rejected',
      observed: route([parent('https-app', [cond('Accepted', 'False'), cond('ResolvedRefs', 'True')])], 3),
      refs: [APP],
      want: [false, false, 'AwaitingGateway'],
    },
    {
      reason: 'garbage status',
      observed: { metadata: {}, status: { parents: 'nope' } },
      refs: [APP],
      want: [false, false, 'AwaitingGateway'],
    },
  ])('$reason', ({ observed, refs, want }) => {
    const v = routeVerdict(observed, refs, 'RouteStatus');
    expect([v.ready, v.degraded, v.reason]).toEqual(want);
    expect(v.message).not.toBe('');
  });

  it('names the listener, the gateway and its reason when rejected', () => {
    const v = routeVerdict(
      route([
        parent('https-app', [
          cond('Accepted', 'False', 'NotAllowedByListeners', 'No listeners allowed this attachment.'),
          cond('ResolvedRefs', 'True'),
        ]),
      ]),
      [APP],
      'RouteStatus',
    );
    expect(v.message).toBe(
      'listener https-app of Gateway plana-odoo/eg-gateway rejected the HTTPRoute: NotAllowedByListeners: No listeners allowed this attachment.',
    );
  });

  it('defaults an echoed parentRef without namespace to the route namespace (Gateway API rule)', () => {
    const sameNs = {
      group: 'gateway.networking.k8s.io',
      kind: 'Gateway',
      name: 'eg-gateway',
      namespace: 'plana-odoo-18',
      sectionName: 'https-app',
    } as const;
    const observed = route([{ parentRef: { name: 'eg-gateway', sectionName: 'https-app' }, conditions: OK }]);
    expect(routeVerdict(observed, [sameNs], 'RouteStatus').ready).toBe(true);
    expect(routeVerdict(observed, [APP], 'RouteStatus').ready).toBe(false);
  });

  it('falls back to existence for gateways that write no status', () => {
    expect(routeVerdict(route(undefined), [APP], 'Exists')).toMatchObject({ ready: true, reason: 'Exists' });
    expect(routeVerdict(undefined, [APP], 'Exists')).toMatchObject({ ready: false, reason: 'Creating' });
  });
});

const job = (conditions: Obj[]): Obj => ({ apiVersion: 'batch/v1', kind: 'Job', status: { conditions } });

describe('jobVerdict', () => {
  it.each([
    { reason: 'not created', observed: undefined, want: [false, false, 'Creating'] },
    { reason: 'running, no conditions', observed: job([]), want: [false, false, 'Running'] },
    { reason: 'Complete=True', observed: job([cond('Complete', 'True')]), want: [true, false, 'Created'] },
    { reason: 'Complete=False', observed: job([cond('Complete', 'False')]), want: [false, false, 'Running'] },
    {
      reason: 'Failed=True',
      observed: job([cond('Failed', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit')]),
      want: [false, true, 'JobFailed'],
    },
    { reason: 'FailureTarget only (still terminating)', observed: job([cond('FailureTarget', 'True')]), want: [false, false, 'Running'] },
  ])('$reason', ({ observed, want }) => {
    const v = jobVerdict(observed);
    expect([v.ready, v.degraded, v.reason]).toEqual(want);
  });

  it("surfaces the Job's failure reason", () => {
    expect(jobVerdict(job([cond('Failed', 'True', 'DeadlineExceeded', '')])).message).toBe('the filestore Job failed: DeadlineExceeded');
  });
});

describe('cronJobVerdict', () => {
  it('is ready once the CronJob exists, even before any run', () => {
    expect(cronJobVerdict({ kind: 'CronJob', status: {} })).toMatchObject({ ready: true, reason: 'Scheduled' });
    expect(cronJobVerdict(undefined)).toMatchObject({ ready: false, reason: 'Creating' });
  });
});

const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000).toISOString();
const cron = (lastSuccessfulTime?: string, createdHoursAgo = 24 * 30): Obj => ({
  kind: 'CronJob',
  metadata: { creationTimestamp: hoursAgo(createdHoursAgo) },
  status: lastSuccessfulTime === undefined ? {} : { lastSuccessfulTime },
});

describe('backupHealth', () => {
  it.each([
    { reason: 'CronJob not created', observed: undefined, suspended: false, want: ['Unknown', false, 'Creating'] },
    { reason: 'backed up 3h ago', observed: cron(hoursAgo(3)), suspended: false, want: ['True', false, 'BackedUp'] },
    { reason: 'backed up exactly 26h ago', observed: cron(hoursAgo(26)), suspended: false, want: ['True', false, 'BackedUp'] },
    { reason: 'backed up 27h ago', observed: cron(hoursAgo(27)), suspended: false, want: ['False', true, 'BackupStale'] },
    {
      reason: 'new schedule without a run yet',
      observed: cron(undefined, 5),
      suspended: false,
      want: ['Unknown', false, 'AwaitingFirstBackup'],
    },
    { reason: 'old schedule that never succeeded', observed: cron(undefined, 48), suspended: false, want: ['False', true, 'NoBackup'] },
    { reason: 'suspended by the operator', observed: cron(hoursAgo(100)), suspended: true, want: ['False', false, 'Suspended'] },
    { reason: 'unparseable time', observed: cron('yesterday', 5), suspended: false, want: ['Unknown', false, 'AwaitingFirstBackup'] },
  ])('$reason', ({ observed, suspended, want }) => {
    const h = backupHealth(observed, suspended, 26, undefined, NOW);
    expect([h.status, h.degraded, h.reason]).toEqual(want);
  });

  it.each([
    {
      reason: 'the last scheduled run failed after a success the day before',
      status: { lastScheduleTime: hoursAgo(2), lastSuccessfulTime: hoursAgo(25) },
      want: ['False', true, 'LastRunFailed'],
    },
    {
      reason: 'the first scheduled run failed, an hour after the schedule was made',
      status: { lastScheduleTime: hoursAgo(1) },
      want: ['False', true, 'LastRunFailed'],
    },
    {
      reason: 'the last scheduled run is still running',
      status: { lastScheduleTime: hoursAgo(1), lastSuccessfulTime: hoursAgo(25), active: [{ name: 'backup-acme-29412345' }] },
      want: ['True', false, 'BackedUp'],
    },
    {
      reason: 'the last scheduled run succeeded (completion after schedule)',
      status: { lastScheduleTime: hoursAgo(2), lastSuccessfulTime: hoursAgo(1.9) },
      want: ['True', false, 'BackedUp'],
    },
    {
      reason: 'a first run still running',
      status: { lastScheduleTime: hoursAgo(0.1), active: [{ name: 'backup-acme-29412345' }] },
      want: ['Unknown', false, 'AwaitingFirstBackup'],
    },
  ])('failed runs show at once: $reason', ({ status, want }) => {
    const observed = { kind: 'CronJob', metadata: { creationTimestamp: hoursAgo(3) }, status };
    const h = backupHealth(observed, false, 26, undefined, NOW);
    expect([h.status, h.degraded, h.reason]).toEqual(want);
  });

  it("uses the XR's age when the CronJob has no creation time", () => {
    const observed = { kind: 'CronJob', status: {} };
    expect(backupHealth(observed, false, 26, new Date(NOW.getTime() - 2 * 3_600_000), NOW).reason).toBe('AwaitingFirstBackup');
    expect(backupHealth(observed, false, 26, new Date(NOW.getTime() - 30 * 3_600_000), NOW).reason).toBe('NoBackup');
  });

  it('keeps its message free of timestamps, so the condition does not flap', () => {
    const a = backupHealth(cron(hoursAgo(3)), false, 26, undefined, NOW);
    const b = backupHealth(cron(hoursAgo(5)), false, 26, undefined, NOW);
    expect(a.message).toBe(b.message);
    expect(a.lastSuccessfulTime).toBe(hoursAgo(3));
  });
});
