/**
 * The backup schedule: once a day, at a second of the backup window that is fixed per tenant,
 * so thousands of dumps do not hit pg01 in the same second (README: Backups).
 *
 * A hash of the subdomain cannot bound the load: 10,000 names hashed into 3,600 seconds put up
 * to ~10 starts into one second where 3 would do (balls into bins). The tenant's projectId can:
 * PLANA hands project ids out one after another, and `slot = projectId × step mod seconds` with
 * `step` coprime to the window's length is a bijection on every run of `seconds` consecutive
 * ids. So N tenants with distinct ids drawn from a range of R consecutive ids never start more
 * than ceil(R / seconds) dumps in one second: ceil(N / seconds) when the ids are dense, and
 * `+ 1` covers a range up to one window longer than the fleet (test/schedule.test.ts checks it
 * for 10,000 generated tenants). The step is the window length times the golden ratio, so a
 * small fleet (ids 1..100) spreads over the whole window instead of its first 100 seconds.
 *
 * Cron has minute granularity: the CronJob fires at the slot's minute and the pod's first step
 * sleeps the remaining seconds (START_SECOND, passed as data).
 */

export interface BackupTime {
  /** Seconds after the window opens. */
  readonly offsetSeconds: number;
  readonly hour: number;
  readonly minute: number;
  /** The second of the minute the dump starts at: the pod's first step sleeps until then. */
  readonly second: number;
  /** The cron expression, evaluated in the CronJob's timeZone. */
  readonly cron: string;
  /** The exact local start, HH:MM:SS in the CronJob's timeZone. */
  readonly start: string;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** The multiplier of the window: the integer nearest to seconds / φ that is coprime to seconds. */
export function spreadStep(seconds: number): number {
  if (seconds <= 2) return 1;
  const ideal = Math.round(seconds * ((Math.sqrt(5) - 1) / 2));
  for (let d = 0; d < seconds; d++) {
    for (const candidate of [ideal - d, ideal + d]) {
      if (candidate >= 1 && candidate < seconds && gcd(candidate, seconds) === 1) return candidate;
    }
  }
  return 1;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/**
 * The tenant's start inside [startHour:00, startHour:00 + windowMinutes). A window may run past
 * midnight; it may not be longer than a day. BigInt keeps projectId × step exact for any safe
 * integer id.
 */
export function backupTime(projectId: number, startHour: number, windowMinutes: number): BackupTime {
  const seconds = windowMinutes * 60;
  const offsetSeconds = Number((BigInt(projectId) * BigInt(spreadStep(seconds))) % BigInt(seconds));
  const minuteOfDay = (startHour * 60 + Math.floor(offsetSeconds / 60)) % 1440;
  const hour = Math.floor(minuteOfDay / 60);
  const minute = minuteOfDay % 60;
  const second = offsetSeconds % 60;
  return { offsetSeconds, hour, minute, second, cron: `${minute} ${hour} * * *`, start: `${pad(hour)}:${pad(minute)}:${pad(second)}` };
}
