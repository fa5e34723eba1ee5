/**
 * The tenant's daily backup CronJob (DESIGN §4): pg_dump and a tarball of the filestore, gzip,
 * optional age encryption, upload under {subdomain}/ with timestamped names that never replace
 * an older object. Each step is a container; they share an emptyDir.
 */
import type { ICronJob } from 'kubernetes-models/batch/v1/CronJob';
import type { IContainer, IVolume } from 'kubernetes-models/v1';
import type { Input } from '../input/schema.js';
import { backupTime } from '../schedule.js';
import type { Tenant } from '../tenant.js';
import { envVar, podSecurity, scriptContainer, secretEnv, tenantLabels } from './common.js';
import { ARCHIVE_SCRIPT, DUMP_SCRIPT, ENCRYPT_SCRIPT, UPLOAD_SCRIPT } from './scripts.js';

export const backupName = (tenant: Tenant): string => `backup-${tenant.subdomain}`;

/** Where the tenant's backups land: `s3://{bucket}/{subdomain}/`. */
export const backupLocation = (tenant: Tenant, input: Input): string => `s3://${input.backup.bucket}/${tenant.subdomain}/`;

const WORK = { name: 'work', mountPath: '/work' };
const TMP = { name: 'tmp', mountPath: '/tmp' };
const FILESTORE_MOUNT = '/filestore';

export function buildBackup(tenant: Tenant, input: Input): ICronJob {
  const b = input.backup;
  const labels = tenantLabels(tenant, 'backup');
  const encrypt = b.ageRecipients.length > 0;
  const filestoreRoot = input.odoo.filestoreSubPath === '' ? FILESTORE_MOUNT : `${FILESTORE_MOUNT}/${input.odoo.filestoreSubPath}`;

  const dump = scriptContainer(
    'dump',
    b.images.dump,
    DUMP_SCRIPT,
    [
      envVar('PGHOST', input.database.host),
      envVar('PGPORT', String(input.database.port)),
      secretEnv('PGUSER', b.databaseUser),
      secretEnv('PGPASSWORD', b.databasePassword),
      envVar('PGDATABASE', tenant.database),
      envVar('PGCONNECT_TIMEOUT', '30'),
    ],
    [WORK, TMP],
    b.resources,
  );
  const archive = scriptContainer(
    'filestore',
    b.images.dump,
    ARCHIVE_SCRIPT,
    [envVar('FILESTORE_ROOT', filestoreRoot), envVar('DATABASE', tenant.database)],
    [WORK, TMP, { name: 'filestore', mountPath: FILESTORE_MOUNT, readOnly: true }],
    b.resources,
  );
  const encryptStep: IContainer[] = encrypt
    ? [
        scriptContainer(
          'encrypt',
          b.images.encrypt,
          ENCRYPT_SCRIPT,
          [envVar('AGE_RECIPIENTS', b.ageRecipients.join('\n'))],
          [WORK, TMP],
          b.resources,
        ),
      ]
    : [];
  const upload = scriptContainer(
    'upload',
    b.images.upload,
    UPLOAD_SCRIPT,
    [
      envVar('UPLOAD_DIR', encrypt ? '/work/out' : '/work/stage'),
      envVar('BUCKET', b.bucket),
      envVar('PREFIX', `${tenant.subdomain}/`),
      envVar('HOME', '/tmp'),
      envVar('RCLONE_CONFIG', '/tmp/rclone.conf'),
      envVar('RCLONE_CONFIG_SOS_TYPE', 's3'),
      envVar('RCLONE_CONFIG_SOS_PROVIDER', 'Other'),
      envVar('RCLONE_CONFIG_SOS_ENDPOINT', b.endpoint),
      envVar('RCLONE_CONFIG_SOS_REGION', b.region),
      secretEnv('RCLONE_CONFIG_SOS_ACCESS_KEY_ID', b.accessKeyId),
      secretEnv('RCLONE_CONFIG_SOS_SECRET_ACCESS_KEY', b.secretAccessKey),
    ],
    [WORK, TMP],
    b.resources,
  );

  const volumes: IVolume[] = [
    { name: 'work', emptyDir: {} },
    { name: 'tmp', emptyDir: {} },
    { name: 'filestore', persistentVolumeClaim: { claimName: tenant.filestoreClaim, readOnly: true } },
  ];

  const time = backupTime(tenant.subdomain, b.windowStartHour, b.windowMinutes);
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: backupName(tenant), namespace: b.namespace, labels },
    spec: {
      schedule: time.cron,
      timeZone: b.timeZone,
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: b.startingDeadlineSeconds,
      successfulJobsHistoryLimit: b.successfulJobsHistoryLimit,
      failedJobsHistoryLimit: b.failedJobsHistoryLimit,
      // Only a suspended schedule says so: an absent field is not a server-side-apply claim.
      ...(tenant.backupSuspended ? { suspend: true } : {}),
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
              securityContext: podSecurity(input.odoo.uid, input.odoo.gid),
              // Steps run in order as init containers; the upload runs last.
              initContainers: [dump, archive, ...encryptStep],
              containers: [upload],
              volumes,
            },
          },
        },
      },
    },
  };
}
