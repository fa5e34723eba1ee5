/**
 * The Job that creates the tenant's directory on the version's shared NFS filestore.
 *
 * A Job's pod template is immutable, so the Job's name carries a hash of its spec: a change
 * yields a new Job under a new pipeline resource name, never an in-place update. It has no
 * ttlSecondsAfterFinished on purpose: Crossplane would recreate (and re-run) a Job that
 * disappears.
 */
import { createHash } from 'node:crypto';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { FilestorePlan } from '../plan.js';
import { envVar, podSecurity, scriptContainer } from './common.js';
import { FILESTORE_SCRIPT } from './scripts.js';

export interface FilestoreJob {
  readonly job: IJob;
  /** Eight hex digits of the spec's hash: part of the Job's and the pipeline resource's name. */
  readonly hash: string;
}

export function buildFilestoreJob(filestore: FilestorePlan): FilestoreJob {
  const f = filestore.settings;
  const spec = {
    backoffLimit: f.backoffLimit,
    activeDeadlineSeconds: f.activeDeadlineSeconds,
    template: {
      metadata: { labels: { ...filestore.podLabels } },
      spec: {
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        // Running as the Odoo user makes the directory Odoo's without chown or root.
        securityContext: podSecurity(filestore.runAs),
        containers: [
          scriptContainer(
            'mkdir',
            f.image,
            FILESTORE_SCRIPT,
            [
              envVar('FILESTORE_ROOT', filestore.root),
              envVar('DATABASE', filestore.database),
              envVar('DIR_MODE', f.mode),
              envVar('ODOO_UID', String(filestore.runAs.uid)),
            ],
            [{ name: 'filestore', mountPath: filestore.mount }],
            f.resources,
          ),
        ],
        volumes: [{ name: 'filestore', persistentVolumeClaim: { claimName: filestore.claim } }],
      },
    },
  } satisfies IJob['spec'];
  // What the Job does and where it runs; its metadata labels (tier, project id) are left out, so
  // that changing them relabels this Job instead of replacing it and running it again.
  const hash = createHash('sha256')
    .update(JSON.stringify([filestore.namespace, filestore.subdomain, spec]))
    .digest('hex')
    .slice(0, 8);
  return {
    hash,
    job: {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: `${filestore.namePrefix}-${hash}`, namespace: filestore.namespace, labels: { ...filestore.labels } },
      spec,
    },
  };
}
