/**
 * The backup schedule: once a day, at a stable minute per tenant inside the backup window, so
 * thousands of dumps do not hit pg01 in the same second (DESIGN §4).
 */

/** 32-bit FNV-1a: small, fast, and stable across Node versions and platforms. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export interface BackupTime {
  readonly hour: number;
  readonly minute: number;
  /** The cron expression, evaluated in the CronJob's timeZone. */
  readonly cron: string;
}

/**
 * The tenant's minute inside [startHour:00, startHour:00 + windowMinutes). A window of at most
 * 60 minutes starting on the hour never crosses into the next hour; PLANA's 02:00-02:59 in
 * Europe/Sofia also stays clear of the DST switch (03:00/04:00 local).
 */
export function backupTime(subdomain: string, startHour: number, windowMinutes: number): BackupTime {
  const minute = fnv1a(subdomain) % windowMinutes;
  return { hour: startHour, minute, cron: `${minute} ${startHour} * * *` };
}
