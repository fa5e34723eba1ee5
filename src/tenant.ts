/**
 * The XR boundary: a PLANAClient becomes one frozen, typed Tenant, or a FieldError naming the
 * XR field (DESIGN §3). Everything after this works on valid data only.
 *
 * The XRD encodes the same rules in OpenAPI, but the function checks them itself: an XRD can
 * be edited, old XRs exist, and `crossplane render` does not enforce the schema.
 */
import { FieldError } from './errors.js';
import type { Input } from './input/schema.js';
import { isObject, type Obj } from './obj.js';

export const TIERS = ['starter', 'pro', 'enterprise'] as const;
export type Tier = (typeof TIERS)[number];

/** Retention by tier, in days (PLANA's restore runbook). Expiry is the bucket's business. */
export const RETENTION_DAYS: Readonly<Record<Tier, number>> = { starter: 30, pro: 90, enterprise: 365 };

export const SUBDOMAIN_MAX = 30;
const SUBDOMAIN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

export interface Tenant {
  /** The XR's metadata.name. */
  readonly xrName: string;
  /** The XR's namespace: set only for a namespaced XR (Crossplane v2), which may compose only there. */
  readonly xrNamespace: string | undefined;
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



/** Parses the observed XR against the Input. Throws FieldError. */
export function parseTenant(xr: Obj | undefined, input: Input): Tenant {
  if (!isObject(xr)) throw new FieldError('observed.composite', xr, 'the PLANAClient XR');
  const metadata = isObject(xr['metadata']) ? xr['metadata'] : {};
  const spec = xr['spec'];
  if (!isObject(spec)) throw new FieldError('spec', spec, 'an object with subdomain, projectId and tier');

  const subdomain = parseSubdomain(spec['subdomain'], input);
  if (input.tenants.requireNameMatch && metadata['name'] !== subdomain) {
    throw new FieldError('metadata.name', metadata['name'], `${JSON.stringify(subdomain)}, the XR's spec.subdomain: the tenant's objects are named after it, so one XR per subdomain`);
  }
  const projectId = parseProjectId(spec['projectId']);
  const tier = parseTier(spec['tier']);
  const version = parseVersion(spec['odooVersion'], input);
  optionalString(spec, 'ownerEmail');
  optionalString(spec, 'ownerName');

  const database = `${subdomain}.${input.gateway.primaryDomain}`;
  const aliases = parseAliasDomains(spec['aliasDomains'], input).map((domain) => `${subdomain}.${domain}`);
  const backup = spec['backup'];
  if (backup !== undefined && !isObject(backup)) throw new FieldError('spec.backup', backup, 'an object');
  const suspend = backup?.['suspend'];
  if (suspend !== undefined && typeof suspend !== 'boolean') throw new FieldError('spec.backup.suspend', suspend, 'true or false');

  const created = metadata['creationTimestamp'];
  const createdAt = typeof created === 'string' && !Number.isNaN(Date.parse(created)) ? new Date(created) : undefined;

  return Object.freeze({
    xrName: typeof metadata['name'] === 'string' ? metadata['name'] : subdomain,
    xrNamespace: typeof metadata['namespace'] === 'string' && metadata['namespace'] !== '' ? metadata['namespace'] : undefined,
    subdomain,
    projectId,
    tier,
    odooVersion: version.version,
    namespace: version.namespace,
    filestoreClaim: version.filestoreClaim,
    database,
    hostnames: Object.freeze([database, ...aliases]),
    backupSuspended: suspend === true,
    createdAt,
  });
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
