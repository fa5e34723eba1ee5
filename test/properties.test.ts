/** Property tests: naming, validation and schedules hold for generated input, not just examples. */
import fc from 'fast-check';
import { Severity } from '@crossplane-org/function-sdk-typescript';
import { describe, expect, it } from 'vitest';
import { buildBackup } from '../src/builders/backup.js';
import { buildFilestoreJob } from '../src/builders/filestore.js';
import { buildRoute } from '../src/builders/route.js';
import { FieldError } from '../src/errors.js';
import { runFunction } from '../src/fn.js';
import { backupTime } from '../src/schedule.js';
import { parseTenant } from '../src/tenant.js';
import { deepFreeze, defaults, deps, request, xr } from './support.js';

const RUNS = Number(process.env['PROPERTY_RUNS'] ?? 2000);
const LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const subdomainChars = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-'.split(''), '.', '/', ' ', ';', '$', '\n', 'A', 'é', '`', '\u0430');
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
      fc.property(valid, fc.constantFrom('17', '18', '19'), fc.subarray(['planapulse.online', 'planapulse.dev']), (sub, version, aliases) => {
        const t = parseTenant(xr({ subdomain: sub, odooVersion: version, aliasDomains: aliases }), defaults());
        const route = buildRoute(t, defaults());
        const cron = buildBackup(t, defaults());
        const { job } = buildFilestoreJob(t, defaults());
        expect(route.metadata?.name?.length).toBeLessThanOrEqual(63);
        expect(cron.metadata?.name?.length).toBeLessThanOrEqual(52); // CronJob names leave room for Job suffixes
        expect(job.metadata?.name?.length).toBeLessThanOrEqual(63);
        for (const name of [route.metadata?.name, cron.metadata?.name, job.metadata?.name]) expect(name).toMatch(LABEL);
        const commands = [...(cron.spec?.jobTemplate.spec?.template.spec?.initContainers ?? []), ...(cron.spec?.jobTemplate.spec?.template.spec?.containers ?? []), ...(job.spec?.template.spec?.containers ?? [])].map((c) => JSON.stringify(c.command));
        for (const command of commands) expect(command).not.toContain(t.database);
        expect(route.spec?.hostnames).toHaveLength(1 + aliases.length);
      }),
      { numRuns: RUNS },
    );
  });

  it('every schedule falls inside its window, and the same tenant always gets the same minute', () => {
    fc.assert(
      fc.property(valid, fc.integer({ min: 0, max: 23 }), fc.integer({ min: 1, max: 60 }), (sub, hour, window) => {
        const t = backupTime(sub, hour, window);
        expect(t.hour).toBe(hour);
        expect(t.minute).toBeGreaterThanOrEqual(0);
        expect(t.minute).toBeLessThan(window);
        expect(t.cron).toBe(`${t.minute} ${hour} * * *`);
        expect(backupTime(sub, hour, window)).toEqual(t);
      }),
      { numRuns: RUNS },
    );
  });

  it('spreads tenants over the whole window', () => {
    const minutes = new Set(Array.from({ length: 5000 }, (_, i) => backupTime(`tenant-${i}`, 2, 60).minute));
    expect(minutes.size).toBe(60);
  });

  it('runFunction never throws on any spec: it composes or answers one Fatal naming a spec field', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('subdomain', 'projectId', 'tier', 'odooVersion', 'aliasDomains', 'backup', 'ownerEmail'), fc.jsonValue()), (spec) => {
        const res = runFunction(deepFreeze(request({ xr: { apiVersion: 'planapulse.com/v1alpha1', kind: 'PLANAClient', metadata: { name: 'x' }, spec } })), deps);
        if (res.results.some((r) => r.severity === Severity.SEVERITY_FATAL)) {
          expect(res.results).toHaveLength(1);
          expect(res.results[0]!.message).toMatch(/^spec\.[a-zA-Z.[\]0-9]+: /);
          expect(Object.keys(res.desired?.resources ?? {})).toEqual([]);
        } else {
          expect(Object.keys(res.desired?.resources ?? {})).toHaveLength(3);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
