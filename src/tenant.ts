/**
 * The XR boundary: a PLANAClient becomes one frozen, typed Tenant, or a FieldError naming the
 * XR field (README: The XR). Everything after this works on valid data only.
 *
 * The spec's structural rules (types, patterns, the tier enum) come from the XR schema
 * (src/xr/schema.ts, compiled in src/xr/parse.ts), the same schema the XRDs are generated from;
 * this file holds the rules that depend on the Input. The function checks both itself: an XRD
 * can be edited, old XRs exist, and `crossplane render` does not enforce the schema.
 */
import { FieldChecks, FieldError } from './errors.js';
import type { Input } from './input/schema.js';
import { isObject, type Obj } from './obj.js';
import { checkSpec } from './xr/parse.js';
import type { Tier } from './xr/schema.js';

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
  const spec = checkSpec(xr['spec']);

  // In the order the Fatal lists them: the spec's fields in schema order, each field's
  // Input-dependent rules right after its structural ones.
  const checks = new FieldChecks();
  const xrNamespace = typeof metadata['namespace'] === 'string' && metadata['namespace'] !== '' ? metadata['namespace'] : undefined;
  const claim = claimOf(metadata);
  const subdomain = checks.check(() => notReserved(spec.field('subdomain'), input));
  if (subdomain !== undefined) checks.check(() => checkName(metadata, claim, subdomain, input));
  if (xrNamespace !== undefined) checks.check(() => checkNamespace(xrNamespace, input));
  const projectId = checks.check(() => spec.field('projectId'));
  const tier = checks.check(() => spec.field('tier'));
  const version = checks.check(() => parseVersion(spec.raw['odooVersion'], input));
  checks.check(() => spec.field('ownerEmail'));
  checks.check(() => spec.field('ownerName'));
  const aliasDomains = checks.check(() => parseAliasDomains(spec.raw['aliasDomains'], input));
  const suspend = checks.check(() => spec.field('backup')?.suspend);
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

/** The structural rules (pattern, length) are the schema's: here only the Input's reserved names. */
function notReserved(value: string, input: Input): string {
  if (input.tenants.reservedSubdomains.includes(value)) {
    throw new FieldError(
      'spec.subdomain',
      value,
      `a name the platform does not reserve (reserved: ${input.tenants.reservedSubdomains.join(', ')})`,
    );
  }
  return value;
}

/** The XRD states these for the Input's default versions; the Composition's Input decides. */
function parseVersion(value: unknown, input: Input): Input['odoo']['versions'][number] {
  const wanted = value ?? input.odoo.defaultVersion;
  const known = input.odoo.versions.map((v) => v.version);
  const found = typeof wanted === 'string' ? input.odoo.versions.find((v) => v.version === wanted) : undefined;
  if (found === undefined) throw new FieldError('spec.odooVersion', value, `a string, one of ${known.map((v) => `"${v}"`).join(', ')}`);
  return found;
}

/** The XRD's enum is the default Input's alias domains; the Composition's listeners decide. */
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
