/**
 * RunFunction, one linear pass: read the Input and the XR, resolve them into one Plan
 * (src/plan.ts), build the objects, judge readiness (src/readiness/), write status and
 * conditions, choose the TTL, respond (src/response.ts). Each failure is one Fatal result, and the desired state earlier steps built is kept.
 *
 * The request is never mutated: the response is built from new objects, and what it shares
 * with the request (earlier steps' resources, the context) it passes on unchanged.
 */
import {
  Capability,
  type Resource,
  type ResourceSelector,
  type Result,
  type RunFunctionRequest,
  type RunFunctionResponse,
} from '@crossplane-org/function-sdk-typescript';
import { buildBackup } from './builders/backup.js';
import { buildFilestoreJob } from './builders/filestore.js';
import { buildRedirectRoute, buildRoute } from './builders/route.js';
import { FieldError } from './errors.js';
import { anotherTenants, identityKey, notOurs, objectKey, pipelineName, withTenantUid } from './identity.js';
import { parseInput } from './input/parse.js';
import { isObject, type Obj } from './obj.js';
import { observedManifest, wrap } from './output.js';
import { resolve, type Plan, type StatusPlan } from './plan.js';
import { backupHealth, type BackupHealth } from './readiness/backup-health.js';
import { cronJobReadiness } from './readiness/cronjob.js';
import { httpRouteReadiness } from './readiness/httproute.js';
import { jobReadiness } from './readiness/job.js';
import type { Readiness, Verdict } from './readiness/verdict.js';
import { composed, condition, fatal, requirements, warning, withStatus } from './response.js';
import { parseTenant } from './tenant.js';

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
}

export function runFunction(req: RunFunctionRequest, deps: Deps): RunFunctionResponse {
  const desiredIn = req.desired ?? { composite: undefined, resources: {} };

  let plan: Plan;
  try {
    const input = parseInput(req.input);
    plan = resolve(parseTenant(req.observed?.composite?.resource, input), input);
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

  const { tenant, output } = plan;
  const mode = output.mode;
  if (mode === 'Direct' && tenant.xrNamespace !== undefined) {
    return fatal(
      req,
      'InvalidInput',
      `input.output.mode: "Direct" is not allowed: must be Object or Auto for a namespaced XR (${tenant.xrNamespace}/${tenant.xrName} may compose only into its own namespace)`,
    );
  }

  const parts = composeParts(plan);
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
    const key = mode === 'Direct' ? identityKey(manifest) : objectKey(output.objectApiVersion, manifest);
    const name = pipelineName(part.prefix, key, observedIn);
    const composedObj = mode === 'Direct' ? manifest : wrap(manifest, name, part.readiness.policy, output);
    const seen = observedManifest(observedIn[name]?.resource);
    const verdict = part.readiness.judge(seen);
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
  const health = backupHealth(
    seenBy.get('backup'),
    plan.backup.suspended,
    plan.backup.settings.staleAfterHours,
    tenant.createdAt,
    deps.now(),
  );

  const allReady = [...verdicts.values()].every((v) => v.ready);
  const steady = allReady && !health.degraded;

  return {
    meta: { tag: req.meta?.tag ?? '', ttl: { seconds: steady ? plan.ttl.steadySeconds : plan.ttl.pendingSeconds, nanos: 0 } },
    desired: { composite: withStatus(desiredIn.composite, status(plan.status, health)), resources },
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
function composeParts(plan: Plan): Part[] {
  const { route, redirect, backup, filestore } = plan;
  return [
    { prefix: 'route', manifest: buildRoute(route), readiness: httpRouteReadiness(route.parentRefs, route.readiness) },
    ...(redirect === undefined
      ? []
      : [
          {
            prefix: 'redirect',
            manifest: buildRedirectRoute(redirect),
            readiness: httpRouteReadiness(redirect.parentRefs, redirect.readiness),
          } as const,
        ]),
    { prefix: 'backup', manifest: buildBackup(backup), readiness: cronJobReadiness },
    { prefix: 'filestore', manifest: buildFilestoreJob(filestore).job, readiness: jobReadiness },
  ];
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

/** The XR status fields this step owns; the XRD's status schema mirrors them. */
function status(fields: StatusPlan, health: BackupHealth): Obj {
  return {
    ...fields,
    hostnames: [...fields.hostnames],
    backup: { ...fields.backup, ...(health.lastSuccessfulTime === undefined ? {} : { lastSuccessfulTime: health.lastSuccessfulTime }) },
  };
}

/** A Warning per degraded concern; nothing at all when all is well (no Normal on every call). */
function warnings(concerns: readonly Verdict[]): Result[] {
  return concerns.filter((v) => v.degraded).map((v) => warning(v.reason, v.message));
}
