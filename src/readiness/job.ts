/**
 * Job readiness: a Job has no Ready condition; Complete=True is what ready means, Failed=True is
 * degraded (https://kubernetes.io/docs/concepts/workloads/controllers/job/#job-termination-and-cleanup).
 */
import type { Obj } from '../obj.js';
import { celConditionTrue, conditionsOf, explain, findCondition, verdict, type Readiness, type Verdict } from './verdict.js';

/** The filestore Job is ready when Complete=True; Failed=True is degraded. */
export function jobVerdict(observed: Obj | undefined): Verdict {
  if (observed === undefined) return verdict(false, false, 'Creating', 'the filestore Job has not been created yet');
  const conditions = conditionsOf(observed['status']);
  if (findCondition(conditions, 'Complete')?.status === 'True') {
    return verdict(true, false, 'Created', 'the filestore directory exists and is writable');
  }
  const failed = findCondition(conditions, 'Failed');
  if (failed?.status === 'True') {
    return verdict(false, true, 'JobFailed', `the filestore Job failed: ${explain(failed)}`);
  }
  return verdict(false, false, 'Running', 'the filestore Job is running');
}

export const jobReadiness: Readiness = {
  judge: jobVerdict,
  policy: {
    policy: 'DeriveFromCelQuery',
    celQuery: `has(object.status) && has(object.status.conditions) && ${celConditionTrue('object.status', 'Complete')}`,
  },
};
