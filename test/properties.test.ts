/** Property tests: naming, validation and schedules hold for generated input, not just examples. */
import fc from 'fast-check';
import { Ready, Severity } from '@crossplane-org/function-sdk-typescript';
import { describe, expect, it } from 'vitest';
import { buildBackup } from '../src/builders/backup.js';
import { resolve } from '../src/plan.js';
import { buildFilestoreJob } from '../src/builders/filestore.js';
import { buildRoute } from '../src/builders/route.js';
import { FieldError } from '../src/errors.js';
import { runFunction } from '../src/fn.js';
import { backupTime } from '../src/schedule.js';
import { parseTenant } from '../src/tenant.js';
import { HTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { parseInput } from '../src/input/parse.js';
import { INPUT_HEAD, deepFreeze, defaults, deps, request, xr, type Obj, redirectOf } from './support.js';

// 7 properties here and 1 in wire.test.ts, × 1,500 runs: 12,000 generated cases on every `npm test`.
const RUNS = Number(process.env['PROPERTY_RUNS'] ?? 1500);
const LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const subdomainChars = fc.constantFrom(
  ...'abcdefghijklmnopqrstuvwxyz0123456789-'.split(''),
  '.',
  '/',
  ' ',
  ';',
  '$',
  '\n',
  'A',
  'é',
  '`',
  '\u0430',
);
const nearlyValidSubdomain = fc.string({ unit: subdomainChars, minLength: 0, maxLength: 40 });
const valid = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,28}[a-z0-9])?$/).filter((s) => !defaults().tenants.reservedSubdomains.includes(s));

describe('properties', () => {
  it('a subdomain is accepted exactly when it is a non-reserved DNS label of at most 30 characters', () => {
    fc.assert(
      fc.property(fc.oneof(nearlyValidSubdomain, fc.string()), (sub) => {
        const ok = sub.length <= 30 && LABEL.test(sub) && !defaults().tenants.reservedSubdomains.includes(sub);
        try {
          expect(parseTenant(xr({ subdomain: sub }), defaults()).subdomain).toBe(sub);
          expect(ok).toBe(true);
        } catch (err) {
          if (!(err instanceof FieldError)) throw err;
          expect(ok).toBe(false);
          expect(err.field).toBe('spec.subdomain');
          expect(err.message).not.toContain('\n');
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('names stay within Kubernetes limits and user values stay out of commands', () => {
    fc.assert(
      fc.property(
        valid,
        fc.constantFrom('17', '18', '19'),
        fc.subarray(['planapulse.online', 'planapulse.dev']),
        (sub, version, aliases) => {
          const t = parseTenant(xr({ subdomain: sub, odooVersion: version, aliasDomains: aliases }), defaults());
          const route = buildRoute(resolve(t, defaults()).route);
          const cron = buildBackup(resolve(t, defaults()).backup);
          const { job } = buildFilestoreJob(resolve(t, defaults()).filestore);
          expect(route.metadata?.name?.length).toBeLessThanOrEqual(63);
          expect(cron.metadata?.name?.length).toBeLessThanOrEqual(52); // CronJob names leave room for Job suffixes
          expect(job.metadata?.name?.length).toBeLessThanOrEqual(63);
          for (const name of [route.metadata?.name, cron.metadata?.name, job.metadata?.name]) expect(name).toMatch(LABEL);
          const commands = [
            ...(cron.spec?.jobTemplate.spec?.template.spec?.initContainers ?? []),
            ...(cron.spec?.jobTemplate.spec?.template.spec?.containers ?? []),
            ...(job.spec?.template.spec?.containers ?? []),
          ].map((c) => JSON.stringify(c.command));
          for (const command of commands) expect(command).not.toContain(t.database);
          expect(route.spec?.hostnames).toEqual([t.database]);
          expect(redirectOf(resolve(t, defaults()))?.spec?.hostnames ?? []).toHaveLength(aliases.length);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('every start falls inside its window, and the same tenant always gets the same second', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 1, max: 1440 }),
        (id, hour, window) => {
          const t = backupTime(id, hour, window);
          expect(t.offsetSeconds).toBeGreaterThanOrEqual(0);
          expect(t.offsetSeconds).toBeLessThan(window * 60);
          expect((t.hour * 3600 + t.minute * 60 + t.second - hour * 3600 + 86_400) % 86_400).toBe(t.offsetSeconds);
          expect(t.cron).toBe(`${t.minute} ${t.hour} * * *`);
          expect(t.start).toMatch(/^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$/);
          expect(backupTime(id, hour, window)).toEqual(t);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('runFunction never throws on any spec: it composes or answers one Fatal naming a spec field', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom('subdomain', 'projectId', 'tier', 'odooVersion', 'aliasDomains', 'backup', 'ownerEmail'),
          fc.jsonValue(),
        ),
        (spec) => {
          const res = runFunction(
            deepFreeze(
              request({
                xr: {
                  apiVersion: 'planapulse.com/v1alpha1',
                  kind: 'PLANAClient',
                  metadata: { name: typeof spec['subdomain'] === 'string' ? spec['subdomain'] : 'x' },
                  spec,
                },
              }),
            ),
            deps,
          );
          if (res.results.some((r) => r.severity === Severity.SEVERITY_FATAL)) {
            expect(res.results).toHaveLength(1);
            expect(res.results[0]!.message).toMatch(/^spec\.[a-zA-Z.[\]0-9]+: /);
            expect(Object.keys(res.desired?.resources ?? {})).toEqual([]);
          } else {
            expect(Object.keys(res.desired?.resources ?? {})).toHaveLength(3);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('any Input is either accepted, and then every emitted object validates against its schema, or refused naming an input field', () => {
    const overrides = fc.record(
      {
        gateway: fc.record(
          {
            readiness: fc.constantFrom('RouteStatus', 'Exists', 'Sometimes'),
            name: fc.oneof(fc.constant('eg'), fc.string({ maxLength: 8 })),
          },
          { requiredKeys: [] },
        ),
        odoo: fc.record(
          {
            uid: fc.oneof(fc.integer({ min: -5, max: 70000 }), fc.constant('101')),
            filestoreSubPath: fc.constantFrom('', 'filestore', 'a/b', '../x', '/abs'),
          },
          { requiredKeys: [] },
        ),
        backup: fc.record(
          {
            windowStartHour: fc.integer({ min: -1, max: 25 }),
            windowMinutes: fc.integer({ min: 0, max: 61 }),
            bucket: fc.string({ maxLength: 12 }),
            timeZone: fc.constantFrom('Europe/Sofia', 'UTC', 'Mars/Base'),
          },
          { requiredKeys: [] },
        ),
        filestoreJob: fc.record(
          {
            mode: fc.constantFrom('0750', '0770', '750', '9999', 'rwx'),
            image: fc.constantFrom('docker.io/library/busybox:1.37.0', 'busybox', 'x:y; id'),
          },
          { requiredKeys: [] },
        ),
        bogus: fc.constant(1),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(overrides, (fields) => {
        let input;
        try {
          input = parseInput({ ...INPUT_HEAD, ...fields });
        } catch (err) {
          if (!(err instanceof FieldError)) throw err;
          expect(err.field).toMatch(/^input\./);
          return;
        }
        const t = parseTenant(xr(), input);
        expect(() => new HTTPRoute(buildRoute(resolve(t, input).route)).validate()).not.toThrow();
        expect(() => new CronJob(buildBackup(resolve(t, input).backup)).validate()).not.toThrow();
        expect(() => new Job(buildFilestoreJob(resolve(t, input).filestore).job).validate()).not.toThrow();
      }),
      { numRuns: RUNS },
    );
  });

  it("any observed state yields a response: never a throw, never ready without the rule's evidence", () => {
    const condition = fc.record(
      {
        type: fc.constantFrom('Accepted', 'ResolvedRefs', 'Complete', 'Failed', 'Ready'),
        status: fc.constantFrom('True', 'False', 'Unknown', 'true', 1),
        reason: fc.string({ maxLength: 6 }),
      },
      { requiredKeys: [] },
    );
    const blob = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          metadata: fc.record({ generation: fc.integer({ min: 0, max: 3 }) }),
          status: fc.record(
            {
              parents: fc.array(
                fc.record({
                  parentRef: fc.record({
                    name: fc.constantFrom('eg-gateway', 'x'),
                    namespace: fc.constantFrom('plana-odoo', 'y'),
                    sectionName: fc.constantFrom('https-app', 'https-dev'),
                  }),
                  conditions: fc.array(condition, { maxLength: 3 }),
                }),
                { maxLength: 3 },
              ),
              conditions: fc.array(condition, { maxLength: 3 }),
              lastSuccessfulTime: fc.oneof(fc.constant('2026-11-22T01:00:00Z'), fc.string({ maxLength: 5 })),
            },
            { requiredKeys: [] },
          ),
        },
        { requiredKeys: [] },
      ),
    );
    const [routeName, backupName, jobName] = Object.keys(runFunction(request(), deps).desired?.resources ?? {}) as [string, string, string];
    fc.assert(
      fc.property(fc.record({ [routeName]: blob, [backupName]: blob, [jobName]: blob }, { requiredKeys: [] }), (observed) => {
        const res = runFunction(deepFreeze(request({ observed: observed as Record<string, Obj> })), deps);
        expect(res.results.every((r) => r.severity === Severity.SEVERITY_WARNING)).toBe(true);
        const ready = Object.fromEntries(Object.entries(res.desired?.resources ?? {}).map(([k, v]) => [k, v.ready === Ready.READY_TRUE]));
        const route = observed[routeName] as Obj | undefined;
        if (ready[routeName]) expect(JSON.stringify(route)).toMatch(/"Accepted".*"True"|"True".*"Accepted"/);
        if (ready[jobName]) expect(JSON.stringify(observed[jobName])).toContain('Complete');
        if (ready[backupName]) expect(observed[backupName]).toBeDefined();
      }),
      { numRuns: RUNS },
    );
  });
});
