/**
 * The XR boundary: a PLANAClient becomes one frozen, typed Tenant, or a FieldError naming the
 * XR field (DESIGN §3). Everything after this works on valid data only.
 *
 * The XRD encodes the same rules in OpenAPI, but the function checks them itself: an XRD can
 * be edited, old XRs exist, and `crossplane render` does not enforce the schema.
 */
import { FieldChecks, FieldError } from './errors.js';
import type { Input } from './input/schema.js';
import { isObject, type Obj } from './obj.js';

export const TIERS = ['starter', 'pro', 'enterprise'] as const;
export type Tier = (typeof TIERS)[number];

/** Retention by tier, in days (PLANA's restore runbook). Expiry is the bucket's business. */
export const RETENTION_DAYS: Readonly<Record<Tier, number>> = { starter: 30, pro: 90, enterprise: 365 };

export const SUBDOMAIN_MAX = 30;
const SUBDOMAIN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Labels Crossplane v1's claim syncer puts on the composite it makes for a claim. */
export const CLAIM_NAME_LABEL = 'crossplane.io/claim-name';
export const CLAIM_NAMESPACE_LABEL = 'crossplane.io/claim-namespace';

export interface Tenant {
  /** The XR's metadata.name (for a claim, Crossplane's generated `{claim}-xxxxx`). */
  readonly xrName: string;
  /** The XR's namespace: set only for a namespaced XR (Crossplane v2), which may compose only there. */
  readonly xrNamespace: string | undefined;
  /** The XR's metadata.uid, when the observed XR has one: every object carries it as a label. */
  readonly uid: string | undefined;
  /** The claim that made this XR (Crossplane v1), when it was made by one. */
  readonly claim: { readonly name: string; readonly namespace: string } | undefined;
  readonly subdomain: string;
  readonly projectId: number;
  readonly tier: Tier;
  readonly odooVersion: string;
  /** Version namespace: the HTTPRoute's namespace and where Odoo runs. */
  readonly namespace: string;
  /** PVC of the version's shared filestore volume. */
  readonly filestoreClaim: string;
  /** `{subdomain}.{primaryDomain}`: hostname and database name (Odoo's dbfilter=^%h$). */
  readonly database: string;
  /** The canonical host first, then aliases in the XR's order. */
  readonly hostnames: readonly string[];
  readonly backupSuspended: boolean;
  /** The XR's creation time, when the observed XR has one. */
  readonly createdAt: Date | undefined;
}

/**
 * Parses the observed XR against the Input. Throws FieldErrors naming every field it cannot
 * accept, so one Fatal lists all of them.
 */
export function parseTenant(xr: Obj | undefined, input: Input): Tenant {
  if (!isObject(xr)) throw new FieldError('observed.composite', xr, 'the PLANAClient XR');
  const metadata = isObject(xr['metadata']) ? xr['metadata'] : {};
  const spec = xr['spec'];
  if (!isObject(spec)) throw new FieldError('spec', spec, 'an object with subdomain, projectId and tier');

  const checks = new FieldChecks();
  const xrNamespace = typeof metadata['namespace'] === 'string' && metadata['namespace'] !== '' ? metadata['namespace'] : undefined;
  const claim = claimOf(metadata);
  const subdomain = checks.check(() => parseSubdomain(spec['subdomain'], input));
  if (subdomain !== undefined) checks.check(() => checkName(metadata, claim, subdomain, input));
  if (xrNamespace !== undefined) checks.check(() => checkNamespace(xrNamespace, input));
  const projectId = checks.check(() => parseProjectId(spec['projectId']));
  const tier = checks.check(() => parseTier(spec['tier']));
  const version = checks.check(() => parseVersion(spec['odooVersion'], input));
  checks.check(() => optionalString(spec, 'ownerEmail'));
  checks.check(() => optionalString(spec, 'ownerName'));
  const aliasDomains = checks.check(() => parseAliasDomains(spec['aliasDomains'], input));
  const suspend = checks.check(() => parseSuspend(spec['backup']));
  checks.done();
  // checks.done() threw unless every check passed: these hold values now.
  if (subdomain === undefined || projectId === undefined || tier === undefined || version === undefined || aliasDomains === undefined) {
    throw new Error('unreachable: a failed check was not reported');
  }

  const database = `${subdomain}.${input.gateway.primaryDomain}`;
  const created = metadata['creationTimestamp'];
  const createdAt = typeof created === 'string' && !Number.isNaN(Date.parse(created)) ? new Date(created) : undefined;
  const uid = metadata['uid'];

  return Object.freeze({
    xrName: typeof metadata['name'] === 'string' ? metadata['name'] : subdomain,
    xrNamespace,
    uid: typeof uid === 'string' && uid !== '' ? uid : undefined,
    claim,
    subdomain,
    projectId,
    tier,
    odooVersion: version.version,
    namespace: version.namespace,
    filestoreClaim: version.filestoreClaim,
    database,
    hostnames: Object.freeze([database, ...aliasDomains.map((domain) => `${subdomain}.${domain}`)]),
    backupSuspended: suspend === true,
    createdAt,
  });
}

function claimOf(metadata: Obj): Tenant['claim'] {
  const labels = isObject(metadata['labels']) ? metadata['labels'] : {};
  const name = labels[CLAIM_NAME_LABEL];
  const namespace = labels[CLAIM_NAMESPACE_LABEL];
  return typeof name === 'string' && typeof namespace === 'string' ? Object.freeze({ name, namespace }) : undefined;
}

/**
 * PLANA names a tenant after its subdomain. A claim-made XR has a generated name
 * (`generateName: "{claim}-"`), so for it the claim's name is compared instead. This rule keeps
 * tenants findable by name; it is not what stops a takeover: the ownership check in src/fn.ts is
 * (docs/threat-model.md).
 */
function checkName(metadata: Obj, claim: Tenant['claim'], subdomain: string, input: Input): void {
  if (!input.tenants.requireNameMatch) return;
  const rule = `${JSON.stringify(subdomain)}, the XR's spec.subdomain: a tenant is named after its subdomain (input.tenants.requireNameMatch)`;
  if (claim !== undefined) {
    if (claim.name !== subdomain) throw new FieldError(`metadata.labels["${CLAIM_NAME_LABEL}"]`, claim.name, `the claim's name ${rule}`);
    return;
  }
  if (metadata['name'] !== subdomain) throw new FieldError('metadata.name', metadata['name'], rule);
}

function checkNamespace(namespace: string, input: Input): void {
  const allowed = input.tenants.namespaces;
  if (allowed.includes(namespace)) return;
  throw new FieldError(
    'metadata.namespace',
    namespace,
    allowed.length === 0
      ? 'a namespace listed in input.tenants.namespaces, which lists none: namespaced PLANAClients are refused until the Composition names the namespaces that may hold tenants'
      : `one of the namespaces in input.tenants.namespaces (${allowed.join(', ')})`,
  );
}

function parseSuspend(backup: unknown): boolean | undefined {
  if (backup !== undefined && !isObject(backup)) throw new FieldError('spec.backup', backup, 'an object');
  const suspend = backup?.['suspend'];
  if (suspend !== undefined && typeof suspend !== 'boolean') throw new FieldError('spec.backup.suspend', suspend, 'true or false');
  return suspend;
}

function parseSubdomain(value: unknown, input: Input): string {
  const allowed = `a DNS label of lowercase letters, digits and inner hyphens, at most ${SUBDOMAIN_MAX} characters`;
  if (typeof value !== 'string' || value.length > SUBDOMAIN_MAX || !SUBDOMAIN.test(value)) {
    throw new FieldError('spec.subdomain', value, allowed);
  }
  if (input.tenants.reservedSubdomains.includes(value)) {
    throw new FieldError('spec.subdomain', value, `a name the platform does not reserve (reserved: ${input.tenants.reservedSubdomains.join(', ')})`);
  }
  return value;
}

function parseProjectId(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new FieldError('spec.projectId', value, 'a positive integer');
  }
  return value;
}

function parseTier(value: unknown): Tier {
  if (typeof value !== 'string' || !(TIERS as readonly string[]).includes(value)) {
    throw new FieldError('spec.tier', value, `one of ${TIERS.join(', ')}`);
  }
  return value as Tier;
}

function parseVersion(value: unknown, input: Input): Input['odoo']['versions'][number] {
  const wanted = value ?? input.odoo.defaultVersion;
  const known = input.odoo.versions.map((v) => v.version);
  const found = typeof wanted === 'string' ? input.odoo.versions.find((v) => v.version === wanted) : undefined;
  if (found === undefined) throw new FieldError('spec.odooVersion', value, `a string, one of ${known.map((v) => `"${v}"`).join(', ')}`);
  return found;
}

function parseAliasDomains(value: unknown, input: Input): string[] {
  if (value === undefined) return [];
  const primary = input.gateway.primaryDomain;
  const aliasDomains = input.gateway.listeners.map((l) => l.domain).filter((d) => d !== primary);
  const allowed = `a list of distinct alias domains, each one of ${aliasDomains.join(', ') || '(none configured)'}`;
  if (!Array.isArray(value)) throw new FieldError('spec.aliasDomains', value, allowed);
  value.forEach((domain: unknown, i) => {
    if (typeof domain !== 'string' || !aliasDomains.includes(domain) || value.indexOf(domain) !== i) {
      throw new FieldError(`spec.aliasDomains[${i}]`, domain, allowed);
    }
  });
  return value as string[];
}

function optionalString(spec: Obj, key: string): void {
  const value = spec[key];
  if (value !== undefined && typeof value !== 'string') throw new FieldError(`spec.${key}`, value, 'a string');
}
