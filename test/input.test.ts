import { describe, expect, it } from 'vitest';
import { FieldError } from '../src/errors.js';
import { parseInput } from '../src/input/parse.js';
import { INPUT_HEAD, type Obj } from './support.js';

function rejection(fields: Obj): FieldError {
  try {
    parseInput({ ...INPUT_HEAD, ...fields });
  } catch (err) {
    if (err instanceof FieldError) return err;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(fields)}`);
}

describe('parseInput', () => {
  it("gives PLANA's production values when the step has no input", () => {
    const input = parseInput(undefined);
    expect(input.gateway).toEqual({
      name: 'eg-gateway',
      namespace: 'plana-odoo',
      primaryDomain: 'planapulse.app',
      listeners: [
        { domain: 'planapulse.app', sectionName: 'https-app' },
        { domain: 'planapulse.online', sectionName: 'https-online' },
        { domain: 'planapulse.dev', sectionName: 'https-dev' },
      ],
      aliasRedirectStatusCode: 301,
      requestTimeout: '300s',
      readiness: 'RouteStatus',
    });
    expect(input.odoo.versions.map((v) => [v.version, v.namespace])).toEqual([
      ['17', 'plana-odoo'],
      ['18', 'plana-odoo-18'],
      ['19', 'plana-odoo-19'],
    ]);
    expect(input.odoo).toMatchObject({
      defaultVersion: '18',
      service: 'worker-odoo',
      httpPort: 8069,
      websocketPort: 8072,
      uid: 101,
      gid: 101,
    });
    expect(input.database).toEqual({ host: 'pg01.planapulse.com', port: 5432 });
    expect(input.backup).toMatchObject({
      namespace: 'backup',
      timeZone: 'Europe/Sofia',
      windowStartHour: 2,
      windowMinutes: 60,
      staleAfterHours: 26,
      bucket: 'plana-pulse-backups',
      endpoint: 'https://sos-bg-sof-1.exo.io',
      encryption: 'Age',
      ageRecipients: [],
      ageRecipientsConfigMap: { name: 'backup-age-recipients', key: 'recipients' },
      workVolumeSize: '20Gi',
      image: 'git.planapulse.com/plana-pulse/tenant-backup:1.0.0-pg17-rclone1.76.0',
    });
    expect(input.filestoreJob.namespace).toBe('crossplane-system');
    expect(input.tenants.namespaces).toEqual([]);
    expect(input.tenants.reservedSubdomains).toEqual(expect.arrayContaining(['www', 'my', 'api', 'auth', 'git', 'mail', 'matrix', 'chat']));
    expect(Object.isFrozen(input.backup.ageRecipientsConfigMap)).toBe(true);
  });

  it('overrides only what the Input sets, keeping the other defaults', () => {
    const input = parseInput({ ...INPUT_HEAD, backup: { bucket: 'other-bucket', windowStartHour: 3 }, odoo: { uid: 1000 } });
    expect(input.backup.bucket).toBe('other-bucket');
    expect(input.backup.windowStartHour).toBe(3);
    expect(input.backup.timeZone).toBe('Europe/Sofia');
    expect(input.odoo.uid).toBe(1000);
    expect(input.odoo.gid).toBe(101);
  });

  it('adds a new Odoo major by configuration alone', () => {
    const versions = [
      { version: '18', namespace: 'plana-odoo-18', filestoreClaim: 'fs-18' },
      { version: '20', namespace: 'plana-odoo-20', filestoreClaim: 'fs-20' },
    ];
    const input = parseInput({ ...INPUT_HEAD, odoo: { versions, defaultVersion: '20' } });
    expect(input.odoo.versions.map((v) => v.version)).toEqual(['18', '20']);
  });

  it.each([
    {
      reason: 'wrong apiVersion',
      fields: { apiVersion: 'v1' },
      message: 'input.apiVersion: "v1" is not allowed: must be "tenant.fn.planapulse.com/v1beta1"',
    },
    {
      reason: 'unknown top-level field',
      fields: { bakup: {} },
      message:
        'input.bakup: an object is not allowed: must be absent: input has no such field (known: apiVersion, kind, gateway, odoo, tenants, database, backup, filestoreJob, output, ttl)',
    },
    {
      reason: 'unknown nested field',
      fields: { backup: { shedule: 'x' } },
      message: 'input.backup.shedule: "x" is not allowed: must be absent: input.backup has no such field',
    },
    {
      reason: 'hour out of range',
      fields: { backup: { windowStartHour: 24 } },
      message: 'input.backup.windowStartHour: 24 is not allowed: must be an integer from 0 to 23',
    },
    {
      reason: 'window longer than a day',
      fields: { backup: { windowMinutes: 1441 } },
      message: 'input.backup.windowMinutes: 1441 is not allowed: must be an integer from 1 to 1440',
    },
    {
      reason: 'unpinned image',
      fields: { filestoreJob: { image: 'busybox' } },
      message: 'input.filestoreJob.image: "busybox" is not allowed: must be a string matching',
    },
    {
      reason: 'image by latest tag is still a tag',
      fields: { filestoreJob: { image: 'busybox:latest ; id' } },
      message: 'input.filestoreJob.image: "busybox:latest ; id" is not allowed',
    },
    {
      reason: 'readiness mode',
      fields: { gateway: { readiness: 'Maybe' } },
      message: 'input.gateway.readiness: "Maybe" is not allowed: must be one of RouteStatus, Exists',
    },
    {
      reason: 'a version without a claim',
      fields: { odoo: { versions: [{ version: '18', namespace: 'x' }] } },
      message: 'input.odoo.versions[0].filestoreClaim: is required and must be a string matching',
    },
    {
      reason: 'primary domain without listener',
      fields: { gateway: { primaryDomain: 'example.com' } },
      message:
        'input.gateway.primaryDomain: "example.com" is not allowed: must be one of the listener domains (planapulse.app, planapulse.online, planapulse.dev)',
    },
    {
      reason: 'default version not configured',
      fields: { odoo: { defaultVersion: '16' } },
      message: 'input.odoo.defaultVersion: "16" is not allowed: must be one of the configured versions (17, 18, 19)',
    },
    {
      reason: 'duplicate version',
      fields: {
        odoo: {
          versions: [
            { version: '18', namespace: 'a', filestoreClaim: 'b' },
            { version: '18', namespace: 'c', filestoreClaim: 'd' },
          ],
        },
      },
      message: 'input.odoo.versions: "18" is not allowed: must be a list in which each version appears once',
    },
    {
      reason: 'same port twice',
      fields: { odoo: { websocketPort: 8069 } },
      message: 'input.odoo.websocketPort: 8069 is not allowed: must be a port other than input.odoo.httpPort',
    },
    {
      reason: 'unknown time zone',
      fields: { backup: { timeZone: 'Europe/Atlantis' } },
      message: 'input.backup.timeZone: "Europe/Atlantis" is not allowed: must be an IANA time zone name such as Europe/Sofia',
    },
    {
      reason: 'bad age recipient',
      fields: { backup: { ageRecipients: ['ssh-rsa AAAA'] } },
      message: 'input.backup.ageRecipients[0]: "ssh-rsa AAAA" is not allowed',
    },
    {
      reason: 'recipients with encryption turned off',
      fields: { backup: { encryption: 'None', ageRecipients: ['age1aq8ysk43qj8fqr5phrecukxu4xn59m5awmqvr083kwgfsrej7spsmmc4jv'] } },
      message:
        'input.backup.ageRecipients: a list of 1 is not allowed: must be empty when input.backup.encryption is None (or set encryption: Age)',
    },
    {
      reason: 'an unknown encryption',
      fields: { backup: { encryption: 'Rot13' } },
      message: 'input.backup.encryption: "Rot13" is not allowed',
    },
    {
      reason: 'a scratch volume size that is no quantity',
      fields: { backup: { workVolumeSize: 'lots' } },
      message: 'input.backup.workVolumeSize: "lots" is not allowed',
    },
    {
      reason: 'endpoint not https',
      fields: { backup: { endpoint: 'http://sos' } },
      message: 'input.backup.endpoint: "http://sos" is not allowed',
    },
    {
      reason: 'a filestore sub-path that climbs out of the volume',
      fields: { odoo: { filestoreSubPath: '../other-volume' } },
      message: 'input.odoo.filestoreSubPath: "../other-volume" is not allowed',
    },
    {
      reason: 'an absolute filestore sub-path',
      fields: { odoo: { filestoreSubPath: '/etc' } },
      message: 'input.odoo.filestoreSubPath: "/etc" is not allowed',
    },
    {
      reason: 'a dot-dot segment inside the sub-path',
      fields: { odoo: { filestoreSubPath: 'filestore/../..' } },
      message: 'input.odoo.filestoreSubPath: "filestore/../.." is not allowed',
    },
    {
      reason: 'a list where an object belongs',
      fields: { gateway: [] },
      message: 'input.gateway: a list of 0 is not allowed: must be an object',
    },
  ])('rejects $reason, naming the Input field', ({ fields, message }) => {
    expect(rejection(fields).message).toContain(message);
  });

  it('returns the same frozen object for the same Input (parsed once)', () => {
    const raw = { ...INPUT_HEAD, backup: { bucket: 'cached-bucket' } };
    expect(parseInput(raw)).toBe(parseInput(structuredClone(raw)));
  });

  it('does not modify the Input it is given', () => {
    const raw = { ...INPUT_HEAD, backup: { bucket: 'b-untouched' } };
    const copy = structuredClone(raw);
    parseInput(raw);
    expect(raw).toEqual(copy);
  });
});
