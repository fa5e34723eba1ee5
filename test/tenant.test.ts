import { describe, expect, it } from 'vitest';
import { FieldError } from '../src/errors.js';
import { parseTenant } from '../src/tenant.js';
import { defaults, input, tenant, xr, type Obj } from './support.js';

function rejection(spec: Obj): FieldError {
  try {
    tenant(spec);
  } catch (err) {
    if (err instanceof FieldError) return err;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(spec)}`);
}

describe('parseTenant', () => {
  it("turns PLANA's documented example into the tenant model", () => {
    expect(tenant()).toEqual({
      xrName: 'acme',
      xrNamespace: undefined,
      uid: undefined,
      claim: undefined,
      subdomain: 'acme',
      projectId: 23,
      tier: 'pro',
      odooVersion: '18',
      namespace: 'plana-odoo-18',
      filestoreClaim: 'odoo-filestore-18',
      database: 'acme.planapulse.app',
      hostnames: ['acme.planapulse.app'],
      backupSuspended: false,
      createdAt: undefined,
    });
    expect(Object.isFrozen(tenant())).toBe(true);
  });

  it.each([
    { reason: 'no odooVersion means the default, 18', spec: { odooVersion: undefined }, namespace: 'plana-odoo-18' },
    { reason: '17 lives in plana-odoo', spec: { odooVersion: '17' }, namespace: 'plana-odoo' },
    { reason: '19 lives in plana-odoo-19', spec: { odooVersion: '19' }, namespace: 'plana-odoo-19' },
  ])('maps the version to its namespace: $reason', ({ spec, namespace }) => {
    expect(tenant(spec).namespace).toBe(namespace);
  });

  it("adds alias hosts after the canonical one, in the XR's order", () => {
    expect(tenant({ aliasDomains: ['planapulse.dev', 'planapulse.online'] }).hostnames).toEqual([
      'acme.planapulse.app',
      'acme.planapulse.dev',
      'acme.planapulse.online',
    ]);
  });

  it('reads backup.suspend and the creation time', () => {
    const t = parseTenant(xr({ backup: { suspend: true } }, { creationTimestamp: '2026-11-01T00:00:00Z' }), defaults());
    expect(t.backupSuspended).toBe(true);
    expect(t.createdAt?.toISOString()).toBe('2026-11-01T00:00:00.000Z');
  });

  const LABEL = 'a DNS label of lowercase letters, digits and inner hyphens, at most 30 characters';
  it.each([
    { reason: 'missing', value: undefined, shown: 'spec.subdomain: is required and must be' },
    { reason: 'shell metacharacters', value: 'acme;rm -rf /', shown: '"acme;rm -rf /" is not allowed' },
    { reason: 'command substitution', value: '$(reboot)', shown: '"$(reboot)"' },
    { reason: 'backticks', value: '`id`', shown: '"`id`"' },
    { reason: 'path traversal', value: '../other', shown: '"../other"' },
    { reason: 'a slash', value: 'acme/../../etc', shown: '"acme/../../etc"' },
    { reason: 'a dot (would nest under another domain)', value: 'acme.evil', shown: '"acme.evil"' },
    { reason: 'unicode look-alike', value: 'аcme', shown: '"аcme"' },
    { reason: 'upper case', value: 'Acme', shown: '"Acme"' },
    { reason: 'overlong (31 characters)', value: 'a'.repeat(31), shown: `"${'a'.repeat(31)}"` },
    { reason: 'leading hyphen', value: '-acme', shown: '"-acme"' },
    { reason: 'trailing hyphen', value: 'acme-', shown: '"acme-"' },
    { reason: 'a newline', value: 'acme\nevil', shown: '"acme\\nevil"' },
    { reason: 'empty', value: '', shown: '""' },
    { reason: 'a number', value: 42, shown: '42 is not allowed' },
    { reason: 'a space', value: 'ac me', shown: '"ac me"' },
  ])('rejects a subdomain with $reason, naming field, value and rule', ({ value, shown }) => {
    const err = rejection({ subdomain: value });
    expect(err.field).toBe('spec.subdomain');
    expect(err.message).toContain(shown);
    expect(err.message).toContain(LABEL);
    expect(err.message).not.toContain('\n');
  });

  it('accepts a 30-character subdomain with inner hyphens and digits', () => {
    const sub = `a1-${'b'.repeat(26)}9`;
    expect(sub).toHaveLength(30);
    expect(tenant({ subdomain: sub }).database).toBe(`${sub}.planapulse.app`);
  });

  it('rejects a reserved subdomain and lists the reserved names', () => {
    const err = rejection({ subdomain: 'matrix' });
    expect(err.message).toBe(
      'spec.subdomain: "matrix" is not allowed: must be a name the platform does not reserve (reserved: www, my, api, auth, git, mail, matrix, chat, admin, docs, erp, status)',
    );
  });

  it('takes the reserved list from the Input', () => {
    expect(() => parseTenant(xr({ subdomain: 'shop' }), input({ tenants: { reservedSubdomains: ['shop'] } }))).toThrow(
      /spec.subdomain: "shop" is not allowed: must be a name the platform does not reserve \(reserved: shop\)/,
    );
    expect(parseTenant(xr({ subdomain: 'www' }), input({ tenants: { reservedSubdomains: [] } })).subdomain).toBe('www');
  });

  it.each([
    { field: 'spec.projectId', spec: { projectId: 0 }, message: 'spec.projectId: 0 is not allowed: must be a positive integer' },
    { field: 'spec.projectId', spec: { projectId: -3 }, message: 'spec.projectId: -3 is not allowed: must be a positive integer' },
    { field: 'spec.projectId', spec: { projectId: 2.5 }, message: 'spec.projectId: 2.5 is not allowed: must be a positive integer' },
    { field: 'spec.projectId', spec: { projectId: '23' }, message: 'spec.projectId: "23" is not allowed: must be a positive integer' },
    { field: 'spec.projectId', spec: { projectId: undefined }, message: 'spec.projectId: is required and must be a positive integer' },
    { field: 'spec.tier', spec: { tier: 'gold' }, message: 'spec.tier: "gold" is not allowed: must be one of starter, pro, enterprise' },
    {
      field: 'spec.odooVersion',
      spec: { odooVersion: '16' },
      message: 'spec.odooVersion: "16" is not allowed: must be a string, one of "17", "18", "19"',
    },
    {
      field: 'spec.odooVersion',
      spec: { odooVersion: 18 },
      message: 'spec.odooVersion: 18 is not allowed: must be a string, one of "17", "18", "19"',
    },
    {
      field: 'spec.aliasDomains[0]',
      spec: { aliasDomains: ['planapulse.com'] },
      message:
        'spec.aliasDomains[0]: "planapulse.com" is not allowed: must be a list of distinct alias domains, each one of planapulse.online, planapulse.dev',
    },
    {
      field: 'spec.aliasDomains[0]',
      spec: { aliasDomains: ['planapulse.app'] },
      message:
        'spec.aliasDomains[0]: "planapulse.app" is not allowed: must be a list of distinct alias domains, each one of planapulse.online, planapulse.dev',
    },
    {
      field: 'spec.aliasDomains[1]',
      spec: { aliasDomains: ['planapulse.online', 'planapulse.online'] },
      message:
        'spec.aliasDomains[1]: "planapulse.online" is not allowed: must be a list of distinct alias domains, each one of planapulse.online, planapulse.dev',
    },
    {
      field: 'spec.backup.suspend',
      spec: { backup: { suspend: 'yes' } },
      message: 'spec.backup.suspend: "yes" is not allowed: must be true or false',
    },
    { field: 'spec.ownerEmail', spec: { ownerEmail: 5 }, message: 'spec.ownerEmail: 5 is not allowed: must be a string' },
  ])('rejects $field: $message', ({ field, spec, message }) => {
    const err = rejection(spec);
    expect(err.field).toBe(field);
    expect(err.message).toBe(message);
  });

  it("requires the XR to be named after its subdomain, so two XRs cannot claim one tenant's objects", () => {
    expect(() => parseTenant(xr({}, { name: 'intruder' }), defaults())).toThrow(
      'metadata.name: "intruder" is not allowed: must be "acme", the XR\'s spec.subdomain: a tenant is named after its subdomain (input.tenants.requireNameMatch)',
    );
    expect(parseTenant(xr({}, { name: 'other' }), input({ tenants: { requireNameMatch: false } })).subdomain).toBe('acme');
  });

  // A claim `acme` in namespace `sales` makes the composite `acme-x7k2p` (Crossplane v1's claim
  // syncer sets generateName "{claim}-" and these two labels).
  const claimed = (claim: string, extra: Obj = {}) =>
    xr({}, { name: `${claim}-x7k2p`, labels: { 'crossplane.io/claim-name': claim, 'crossplane.io/claim-namespace': 'sales' }, ...extra });

  it("accepts a claim-made XR: its generated name is not the tenant's, the claim's name is", () => {
    const t = parseTenant(claimed('acme'), defaults());
    expect(t).toMatchObject({
      xrName: 'acme-x7k2p',
      subdomain: 'acme',
      claim: { name: 'acme', namespace: 'sales' },
      xrNamespace: undefined,
    });
  });

  it('rejects a claim named after another tenant, naming the claim-name label', () => {
    expect(() => parseTenant(claimed('intruder'), defaults())).toThrow(
      'metadata.labels["crossplane.io/claim-name"]: "intruder" is not allowed: must be the claim\'s name "acme", the XR\'s spec.subdomain',
    );
  });

  it('lists every invalid field of the XR in one error, each with field, value and what is allowed', () => {
    const err = rejection({
      subdomain: 'Bad_Name',
      projectId: -1,
      tier: 'gold',
      odooVersion: '12',
      aliasDomains: ['evil.com'],
      backup: { suspend: 'yes' },
    });
    expect(err.message.split('; ')).toEqual([
      'spec.subdomain: "Bad_Name" is not allowed: must be a DNS label of lowercase letters, digits and inner hyphens, at most 30 characters',
      'spec.projectId: -1 is not allowed: must be a positive integer',
      'spec.tier: "gold" is not allowed: must be one of starter, pro, enterprise',
      'spec.odooVersion: "12" is not allowed: must be a string, one of "17", "18", "19"',
      'spec.aliasDomains[0]: "evil.com" is not allowed: must be a list of distinct alias domains, each one of planapulse.online, planapulse.dev',
      'spec.backup.suspend: "yes" is not allowed: must be true or false',
    ]);
    expect(err.field).toBe('spec.subdomain');
  });

  it('rejects an XR without a spec', () => {
    expect(() => parseTenant({ metadata: { name: 'x' } }, defaults())).toThrow(
      'spec: is required and must be an object with subdomain, projectId and tier',
    );
  });

  it('caps a hostile value in the message', () => {
    const err = rejection({ subdomain: 'x'.repeat(1_000_000) });
    expect(err.message.length).toBeLessThan(300);
    expect(err.message).toContain('(1000002 characters)');
  });
});
