/**
 * CronJob readiness: a CronJob is a schedule, not a run, so it is ready once it exists (unlike
 * function-auto-ready, which waits for a first run). Whether its runs succeed is BackupHealthy's
 * business (./backup-health.ts).
 */
import type { Obj } from '../obj.js';
import { verdict, type Readiness, type Verdict } from './verdict.js';

/** The backup CronJob is a schedule, not a run: it is ready once it exists. */
export function cronJobVerdict(observed: Obj | undefined): Verdict {
  if (observed === undefined) return verdict(false, false, 'Creating', 'the backup CronJob has not been created yet');
  return verdict(true, false, 'Scheduled', 'the backup CronJob exists');
}

export const cronJobReadiness: Readiness = { judge: cronJobVerdict, policy: { policy: 'SuccessfulCreate' } };
