/**
 * Issue 9 point 6: no second of the backup window starts more than
 * ceil(tenants / window seconds) + 1 dumps, computed for 10,000 generated tenants.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildBackup } from '../src/builders/backup.js';
import { resolve } from '../src/plan.js';
import { backupTime, spreadStep } from '../src/schedule.js';
import { input, tenant } from './support.js';

/** 32-bit FNV-1a, as src/schedule.ts hashed the subdomain before issue 9. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The busiest second of the window: how many tenants start in it. */
function busiest(projectIds: readonly number[], windowMinutes: number): number {
  const perSecond = new Map<number, number>();
  for (const id of projectIds) {
    const s = backupTime(id, 2, windowMinutes).offsetSeconds;
    perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
  }
  return Math.max(...perSecond.values());
}

describe('the backup spread', () => {
  it.each([
    { reason: "PLANA's default hour", windowMinutes: 60 },
    { reason: 'a two-hour window', windowMinutes: 120 },
    { reason: 'a 45-minute window', windowMinutes: 45 },
    { reason: 'a ten-hour window', windowMinutes: 600 },
  ])('10,000 generated tenants, $reason: no second starts more than ceil(N / seconds) + 1', ({ windowMinutes }) => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5_000_000 }), fc.integer({ min: 0, max: 500 }), (first, gaps) => {
        // 10,000 tenants with distinct project ids from a block of consecutive ids, with up to
        // `gaps` ids skipped (deleted projects): the range is at most 10,000 + gaps long.
        const ids: number[] = [];
        for (let id = first; ids.length < 10_000; id++) if ((id * 7919) % 10_007 >= gaps) ids.push(id);
        const bound = Math.ceil(10_000 / (windowMinutes * 60)) + 1;
        expect(busiest(ids, windowMinutes)).toBeLessThanOrEqual(bound);
      }),
      { numRuns: 20 },
    );
  });

  it('is what the subdomain hash the function used before could not do: FNV-1a over 3,600 seconds puts 9 or more into one second', () => {
    const perSecond = new Map<number, number>();
    for (let i = 0; i < 10_000; i++) {
      const s = fnv1a(`tenant-${i}`) % 3600;
      perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
    }
    expect(Math.max(...perSecond.values())).toBeGreaterThan(Math.ceil(10_000 / 3600) + 1);
  });

  it('spreads a small fleet over the whole window, not its first seconds', () => {
    const offsets = Array.from({ length: 100 }, (_, i) => backupTime(i + 1, 2, 60).offsetSeconds).sort((a, b) => a - b);
    const largestGap = Math.max(...offsets.map((o, i) => (i === 0 ? o + 3600 - offsets[offsets.length - 1]! : o - offsets[i - 1]!)));
    expect(largestGap).toBeLessThanOrEqual(2 * (3600 / 100));
  });

  it('uses a step coprime to the window length, so the slots are a bijection', () => {
    for (const seconds of [60, 2700, 3600, 7200, 86_400]) {
      const step = spreadStep(seconds);
      const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
      expect(gcd(step, seconds)).toBe(1);
    }
  });

  it('runs past midnight and picks the minute in cron and the second in the pod', () => {
    const t = backupTime(1, 23, 120);
    expect(t.cron).toBe(`${t.minute} ${t.hour} * * *`);
    expect([23, 0]).toContain(t.hour);
    const cron = buildBackup(resolve(tenant({ projectId: 1 }), input({ backup: { windowStartHour: 23, windowMinutes: 120 } })).backup);
    expect(cron.spec?.schedule).toBe(t.cron);
    expect(cron.spec?.jobTemplate.spec?.template.spec?.initContainers?.[0]?.env).toEqual([
      { name: 'START_SECOND', value: String(t.second) },
    ]);
  });
});
