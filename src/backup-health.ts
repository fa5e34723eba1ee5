/**
 * BackupHealthy (DESIGN §5): False when the last successful backup is older than the configured
 * age. A schedule younger than that is waiting for its first backup, not failing.
 */
import type { Verdict } from './ready.js';
import { isObject, type Obj } from './obj.js';


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
