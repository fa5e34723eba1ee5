/**
 * BackupHealthy (README: Readiness and conditions): False at once when the last scheduled run failed, and when the last
 * successful backup is older than the configured age. A schedule younger than that is waiting
 * for its first backup, not failing.
 *
 * The CronJob controller sets status.lastScheduleTime (the scheduled time) when it creates a
 * run's Job, lists the Job in status.active while it runs, and sets status.lastSuccessfulTime
 * (the Job's completion time, so later than its schedule time) when it succeeds. A last
 * schedule after the last success with nothing active is a run that ended without succeeding:
 * failed, retries exhausted, or killed by its deadline.
 */
import { isObject, type Obj } from '../obj.js';
import type { Verdict } from './verdict.js';

export interface BackupHealth extends Verdict {
  /** Condition status: Unknown while the first backup is awaited. */
  readonly status: 'True' | 'False' | 'Unknown';
  /** status.lastSuccessfulTime of the observed CronJob, when it has one. */
  readonly lastSuccessfulTime: string | undefined;
}

const timeOf = (value: unknown): number | undefined => {
  if (typeof value !== 'string') return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
};

export function backupHealth(
  cronJob: Obj | undefined,
  suspended: boolean,
  staleAfterHours: number,
  xrCreatedAt: Date | undefined,
  now: Date,
): BackupHealth {
  const limitMs = staleAfterHours * 3_600_000;
  const status = isObject(cronJob?.['status']) ? cronJob['status'] : {};
  const lastRaw = status['lastSuccessfulTime'];
  const last = timeOf(lastRaw);
  const lastSuccessfulTime = last === undefined ? undefined : (lastRaw as string);
  const health = (s: BackupHealth['status'], degraded: boolean, reason: string, message: string): BackupHealth => ({
    status: s,
    ready: s === 'True',
    degraded,
    reason,
    message,
    lastSuccessfulTime,
  });

  if (suspended) return health('False', false, 'Suspended', 'backups are suspended by spec.backup.suspend');
  if (cronJob === undefined) return health('Unknown', false, 'Creating', 'the backup CronJob has not been created yet');
  const lastSchedule = timeOf(status['lastScheduleTime']);
  const active = Array.isArray(status['active']) && status['active'].length > 0;
  if (lastSchedule !== undefined && !active && (last === undefined || lastSchedule > last)) {
    return health(
      'False',
      true,
      'LastRunFailed',
      'the last scheduled backup run ended without success (failed, out of retries or past its deadline): see its Job and pod logs in the backup namespace',
    );
  }
  if (last !== undefined && now.getTime() - last <= limitMs) {
    return health('True', false, 'BackedUp', `the last successful backup is less than ${staleAfterHours}h old`);
  }
  // Age of the schedule: the CronJob's own creation, else the XR's.
  const metadata = isObject(cronJob['metadata']) ? cronJob['metadata'] : {};
  const since = timeOf(metadata['creationTimestamp']) ?? xrCreatedAt?.getTime();
  if (last === undefined && (since === undefined || now.getTime() - since <= limitMs)) {
    return health('Unknown', false, 'AwaitingFirstBackup', `no backup has completed yet; the first is due within ${staleAfterHours}h`);
  }
  return last === undefined
    ? health('False', true, 'NoBackup', `no backup has succeeded in the ${staleAfterHours}h since the schedule was created`)
    : health('False', true, 'BackupStale', `the last successful backup is more than ${staleAfterHours}h old`);
}
