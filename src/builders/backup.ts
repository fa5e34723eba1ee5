/**
 * The tenant's daily backup CronJob. One pod, four steps in the backup image
 * (images/backup/Dockerfile), run in order as init containers and a last container:
 *   start     waits for the tenant's second of the window (cron only has minutes), fixes the stamp
 *   dump      pg_dump | gzip | age            -> /work/out/backup-STAMP.dump.gz
 *   filestore tar (volume read-only) | gzip | age -> /work/out/filestore-STAMP.tar.gz
 *   upload    both objects, then manifest-STAMP.txt last, with rclone copyto --immutable
 * Each credential reaches only the step that uses it. Encryption is on by default. The only
 * scratch space is one emptyDir with a sizeLimit, and every step requests and is limited to
 * that much ephemeral storage, so the scheduler reserves it and a run that outgrows it is the
 * one evicted, never a neighbour (README: Backups of large tenants).
 */
import type { ICronJob } from 'kubernetes-models/batch/v1/CronJob';
import type { IContainer, IEnvVar, IVolume } from 'kubernetes-models/v1';
import type { BackupPlan } from '../plan.js';
import { envVar, podSecurity, resourceRequirements, scriptContainer, secretEnv } from './common.js';
import { ARCHIVE_SCRIPT, DUMP_SCRIPT, START_SCRIPT, UPLOAD_SCRIPT } from './scripts.js';

const WORK = { name: 'work', mountPath: '/work' };
const BASH = '/bin/bash';

/** What the encryption steps read: ENCRYPTION, and the recipients inline or from the ConfigMap. */
function encryptionEnv(b: BackupPlan['settings']): IEnvVar[] {
  if (b.encryption === 'None') return [envVar('ENCRYPTION', 'none')];
  const recipients: IEnvVar =
    b.ageRecipients.length > 0
      ? envVar('AGE_RECIPIENTS', b.ageRecipients.join('\n'))
      : {
          name: 'AGE_RECIPIENTS',
          valueFrom: { configMapKeyRef: { name: b.ageRecipientsConfigMap.name, key: b.ageRecipientsConfigMap.key } },
        };
  return [envVar('ENCRYPTION', 'age'), recipients];
}

export function buildBackup(backup: BackupPlan): ICronJob {
  const b = backup.settings;
  const labels = backup.labels;
  const time = backup.time;
  // Every step may fill the scratch volume, so each requests (and is limited to) all of it.
  const resources = {
    ...resourceRequirements(b.resources),
    requests: { ...resourceRequirements(b.resources).requests, 'ephemeral-storage': b.workVolumeSize },
    limits: { ...resourceRequirements(b.resources).limits, 'ephemeral-storage': b.workVolumeSize },
  };
  const step = (name: string, script: string, env: IEnvVar[], mounts: NonNullable<IContainer['volumeMounts']>): IContainer => ({
    ...scriptContainer(name, b.image, script, env, mounts, b.resources),
    command: [BASH, '-c', script],
    resources,
  });

  const start = step('start', START_SCRIPT, [envVar('START_SECOND', String(time.second))], [WORK]);
  const dump = step(
    'dump',
    DUMP_SCRIPT,
    [
      envVar('PGHOST', backup.databaseHost),
      envVar('PGPORT', String(backup.databasePort)),
      secretEnv('PGUSER', b.databaseUser),
      secretEnv('PGPASSWORD', b.databasePassword),
      envVar('PGDATABASE', backup.database),
      envVar('PGCONNECT_TIMEOUT', '30'),
      ...encryptionEnv(b),
    ],
    [WORK],
  );
  const archive = step(
    'filestore',
    ARCHIVE_SCRIPT,
    [envVar('FILESTORE_ROOT', backup.filestoreRoot), envVar('DATABASE', backup.database), ...encryptionEnv(b)],
    [WORK, { name: 'filestore', mountPath: backup.filestoreMount, readOnly: true }],
  );
  const upload = step(
    'upload',
    UPLOAD_SCRIPT,
    [
      envVar('ENCRYPTION', b.encryption === 'None' ? 'none' : 'age'),
      envVar('BUCKET', b.bucket),
      envVar('PREFIX', backup.prefix),
      envVar('HOME', '/work'),
      // No config file: the remote "sos" comes from RCLONE_CONFIG_SOS_*; /dev/null keeps rclone quiet.
      envVar('RCLONE_CONFIG', '/dev/null'),
      envVar('RCLONE_CONFIG_SOS_TYPE', 's3'),
      envVar('RCLONE_CONFIG_SOS_PROVIDER', 'Other'),
      envVar('RCLONE_CONFIG_SOS_ENDPOINT', b.endpoint),
      envVar('RCLONE_CONFIG_SOS_REGION', b.region),
      secretEnv('RCLONE_CONFIG_SOS_ACCESS_KEY_ID', b.accessKeyId),
      secretEnv('RCLONE_CONFIG_SOS_SECRET_ACCESS_KEY', b.secretAccessKey),
    ],
    [WORK],
  );

  const volumes: IVolume[] = [
    { name: 'work', emptyDir: { sizeLimit: b.workVolumeSize } },
    { name: 'filestore', persistentVolumeClaim: { claimName: backup.filestoreClaim, readOnly: true } },
  ];

  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: backup.name, namespace: backup.namespace, labels },
    spec: {
      schedule: time.cron,
      timeZone: b.timeZone,
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: b.startingDeadlineSeconds,
      successfulJobsHistoryLimit: b.successfulJobsHistoryLimit,
      failedJobsHistoryLimit: b.failedJobsHistoryLimit,
      // Only a suspended schedule says so: an absent field is not a server-side-apply claim.
      ...(backup.suspended ? { suspend: true } : {}),
      jobTemplate: {
        metadata: { labels },
        spec: {
          backoffLimit: b.backoffLimit,
          activeDeadlineSeconds: b.activeDeadlineSeconds,
          template: {
            metadata: { labels },
            spec: {
              restartPolicy: 'Never',
              automountServiceAccountToken: false,
              enableServiceLinks: false,
              // The Odoo user owns the filestore (mode 0750): reading it needs that uid.
              securityContext: podSecurity(backup.runAs),
              // Steps run in order as init containers; the upload, which writes the manifest
              // last, runs only when all of them succeeded.
              initContainers: [start, dump, archive],
              containers: [upload],
              volumes,
            },
          },
        },
      },
    },
  };
}
