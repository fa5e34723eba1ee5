/**
 * RunFunction, one linear pass (../shared/STYLE.md): read the Input, build the tenant model,
 * build the three objects, judge readiness, write status and conditions, choose the TTL,
 * respond. Each failure is one Fatal result, and the desired state earlier steps built is kept.
 *
 * The request is never mutated: the response is built from new objects, and what it shares
 * with the request (earlier steps' resources, the context) it passes on unchanged.
 */
import { Capability, type Resource, type ResourceSelector, type Result, type RunFunctionRequest, type RunFunctionResponse, type State } from '@crossplane-org/function-sdk-typescript';
import { backupHealth, type BackupHealth } from './backup-health.js';
import { backupLocation, buildBackup } from './builders/backup.js';
import { buildFilestoreJob } from './builders/filestore.js';
import { aliasHosts, buildRedirectRoute, buildRoute, canonicalHosts, parentRefs } from './builders/route.js';
import { FieldError } from './errors.js';
import { parseInput } from './input/parse.js';
import type { Input } from './input/schema.js';
import { isObject, type Obj } from './obj.js';
import { anotherTenants, identityKey, notOurs, objectKey, pipelineName, withTenantUid } from './identity.js';
import { CRONJOB_READINESS, JOB_READINESS, objectApiVersion, observedManifest, outputMode, routeReadiness, wrap, type Readiness } from './output.js';
import { cronJobVerdict, jobVerdict, routeVerdict, type Verdict } from './ready.js';
import { composed, condition, fatal, requirements, warning, withStatus } from './response.js';
import { backupTime } from './schedule.js';
import { RETENTION_DAYS, parseTenant, type Tenant } from './tenant.js';

/** What a call needs from outside: the clock (fixed by --fixed-time for reproducible renders). */
export interface Deps {
  readonly now: () => Date;
}

/**
 * Prefixes of the pipeline names this step owns (each name is `{prefix}-{8 hex digits}` of the
 * object's identity, src/identity.ts). `route` and `backup` alone are the names of the first
 * releases, still honoured for objects made then.
 */
export const PREFIXES = ['route', 'redirect', 'backup', 'filestore'] as const;
const ownsName = (name: string): boolean => PREFIXES.some((p) => name === p || name.startsWith(`${p}-`));

/** One object this step composes, before it is named and wrapped. */
interface Part {
  readonly prefix: (typeof PREFIXES)[number];
  readonly manifest: object;
  readonly readiness: Readiness;
  readonly judge: (observed: Obj | undefined) => Verdict;
}

export function runFunction(req: RunFunctionRequest, deps: Deps): RunFunctionResponse {
  const desiredIn: State = req.desired ?? { composite: undefined, resources: {} };

  let input: Input;
  let tenant: Tenant;
  try {
    input = parseInput(req.input);
    tenant = parseTenant(req.observed?.composite?.resource, input);
  } catch (err) {
    if (err instanceof FieldError) {
      const reason = err.field.startsWith('input') ? 'InvalidInput' : 'InvalidSpec';
      return fatal(req, reason, err.message);
    }
    throw err;
  }

  const taken = Object.keys(desiredIn.resources).find(ownsName);
  if (taken !== undefined) {
    return fatal(
      req,
      'ResourceNameConflict',
      `desired resource ${JSON.stringify(taken)} was set by an earlier pipeline step: this step owns ${PREFIXES.map((p) => `${p}-*`).join(', ')}`,
    );
  }

  const mode = outputMode(tenant, input);
  if (mode === 'Direct' && tenant.xrNamespace !== undefined) {
    return fatal(
      req,
      'InvalidInput',
      `input.output.mode: "Direct" is not allowed: must be Object or Auto for a namespaced XR (${tenant.xrNamespace}/${tenant.xrName} may compose only into its own namespace)`,
    );
  }

  const parts = composeParts(tenant, input);
  const observedIn = req.observed?.resources ?? {};
  const answers = { ...req.extraResources, ...req.requiredResources };
  const requiredField = req.meta?.capabilities.includes(Capability.CAPABILITY_REQUIRED_RESOURCES) ? 'resources' : 'extraResources';
  const selectors: Record<string, ResourceSelector> = {};
  const conflicts: string[] = [];
  const resources: Record<string, Resource> = { ...desiredIn.resources };
  const verdicts = new Map<Part['prefix'], Verdict>();
  const seenBy = new Map<Part['prefix'], Obj | undefined>();

  for (const part of parts) {
    const manifest = withTenantUid(part.manifest, tenant.uid) as Obj;
    // Object mode wraps the plain object; the Object's name is made from its pipeline name.
    const key = mode === 'Direct' ? identityKey(manifest) : objectKey(objectApiVersion(tenant), manifest);
    const name = pipelineName(part.prefix, key, observedIn);
    const composedObj = mode === 'Direct' ? manifest : wrap(manifest, name, part.readiness, tenant, input);
    const seen = observedManifest(observedIn[name]?.resource);
    const verdict = part.judge(seen);
    verdicts.set(part.prefix, verdict);
    seenBy.set(part.prefix, seen);

    let problem: string | undefined;
    if (observedIn[name] === undefined) {
      // Not made yet: ask Crossplane for whatever already has this object's name. Crossplane
      // fetches it and calls again before it applies anything (it applies only the last answer,
      // once the requirements are stable), so the object may go out with the question.
      selectors[name] = selectorFor(manifest);
      const existing = answers[name]?.items.find((item) => isObject(item.resource))?.resource;
      problem = existing === undefined ? undefined : notOurs(existing, tenant.uid);
    } else {
      // Already composed under this name. provider-kubernetes adopts an existing object without
      // asking, so refuse if what it observes says another tenant's.
      problem = seen === undefined ? undefined : anotherTenants(seen, tenant.uid);
    }
    if (problem !== undefined) conflicts.push(problem);
    else resources[name] = composed(composedObj, verdict.ready);
  }

  if (conflicts.length > 0) return fatal(req, 'ResourceConflict', conflicts.join('; '));

  const routeState = routeConcern(verdicts.get('route')!, verdicts.get('redirect'));
  const jobState = verdicts.get('filestore')!;
  const health = backupHealth(seenBy.get('backup'), tenant.backupSuspended, input.backup.staleAfterHours, tenant.createdAt, deps.now());

  const allReady = [...verdicts.values()].every((v) => v.ready);
  const steady = allReady && !health.degraded;

  return {
    meta: { tag: req.meta?.tag ?? '', ttl: { seconds: steady ? input.ttl.steadySeconds : input.ttl.pendingSeconds, nanos: 0 } },
    desired: { composite: withStatus(desiredIn.composite, status(tenant, input, health)), resources },
    results: warnings([routeState, jobState, health]),
    context: req.context,
    requirements: requirements(requiredField, selectors),
    conditions: [
      condition('RouteReady', routeState.ready ? 'True' : 'False', routeState.reason, routeState.message),
      condition('FilestoreReady', jobState.ready ? 'True' : 'False', jobState.reason, jobState.message),
      condition('BackupHealthy', health.status, health.reason, health.message),
    ],
  };
}

/** The objects of one tenant, in the order their concerns are reported. */
function composeParts(tenant: Tenant, input: Input): Part[] {
  const routeRefs = parentRefs(tenant, input, canonicalHosts(tenant));
  const parts: Part[] = [
    {
      prefix: 'route',
      manifest: buildRoute(tenant, input),
      readiness: routeReadiness(routeRefs, input.gateway.readiness),
      judge: (o) => routeVerdict(o, routeRefs, input.gateway.readiness),
    },
  ];
  const redirect = buildRedirectRoute(tenant, input);
  if (redirect !== undefined) {
    const aliasRefs = parentRefs(tenant, input, aliasHosts(tenant));
    parts.push({
      prefix: 'redirect',
      manifest: redirect,
      readiness: routeReadiness(aliasRefs, input.gateway.readiness),
      judge: (o) => routeVerdict(o, aliasRefs, input.gateway.readiness),
    });
  }
  parts.push(
    { prefix: 'backup', manifest: buildBackup(tenant, input), readiness: CRONJOB_READINESS, judge: cronJobVerdict },
    { prefix: 'filestore', manifest: buildFilestoreJob(tenant, input).job, readiness: JOB_READINESS, judge: jobVerdict },
  );
  return parts;
}

/** RouteReady speaks for both routes: the canonical one first, then the alias redirect. */
function routeConcern(route: Verdict, redirect: Verdict | undefined): Verdict {
  if (redirect === undefined || !route.ready) return route;
  if (!redirect.ready) return { ...redirect, message: `alias redirect: ${redirect.message}` };
  return { ...route, message: `${route.message}; alias redirect: ${redirect.message}` };
}

function selectorFor(manifest: Obj): ResourceSelector {
  const metadata = isObject(manifest['metadata']) ? manifest['metadata'] : {};
  return {
    apiVersion: String(manifest['apiVersion']),
    kind: String(manifest['kind']),
    matchName: String(metadata['name']),
    ...(typeof metadata['namespace'] === 'string' ? { namespace: metadata['namespace'] } : {}),
  };
}

/** The XR status fields this step owns (DESIGN §5); the XRD's status schema mirrors them. */
function status(tenant: Tenant, input: Input, health: BackupHealth): Obj {
  const time = backupTime(tenant.projectId, input.backup.windowStartHour, input.backup.windowMinutes);
  return {
    hostnames: [...tenant.hostnames],
    url: `https://${tenant.database}`,
    database: tenant.database,
    namespace: tenant.namespace,
    filestorePath: `${input.odoo.filestoreRoot}/${tenant.database}`,
    backup: {
      schedule: time.cron,
      // The exact start: cron fires at the minute, the pod's first step waits for the second.
      startTime: time.start,
      timeZone: input.backup.timeZone,
      // "none" only when the Input opts out explicitly (backup.encryption: None).
      encryption: input.backup.encryption === 'None' ? 'none' : 'age',
      location: backupLocation(tenant, input),
      retentionDays: RETENTION_DAYS[tenant.tier],
      ...(tenant.backupSuspended ? { suspended: true } : {}),
      ...(health.lastSuccessfulTime === undefined ? {} : { lastSuccessfulTime: health.lastSuccessfulTime }),
    },
  };
}

/** A Warning per degraded concern; nothing at all when all is well (no Normal on every call). */
function warnings(concerns: readonly Verdict[]): Result[] {
  return concerns
    .filter((v) => v.degraded)
    .map((v) => warning(v.reason, v.message));
}
