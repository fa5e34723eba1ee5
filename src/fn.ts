/**
 * RunFunction, one linear pass (../shared/STYLE.md): read the Input, build the tenant model,
 * build the three objects, judge readiness, write status and conditions, choose the TTL,
 * respond. Each failure is one Fatal result, and the desired state earlier steps built is kept.
 *
 * The request is never mutated: the response is built from new objects, and what it shares
 * with the request (earlier steps' resources, the context) it passes on unchanged.
 */
import {
  Ready,
  Severity,
  Status,
  Target,
  type Condition,
  type Resource,
  type Result,
  type RunFunctionRequest,
  type RunFunctionResponse,
  type State,
} from '@crossplane-org/function-sdk-typescript';
import type { Logger } from 'pino';
import { backupHealth, type BackupHealth } from './backup-health.js';
import { backupLocation, buildBackup } from './builders/backup.js';
import { buildFilestoreJob } from './builders/filestore.js';
import { buildRoute, parentRefs } from './builders/route.js';
import { FieldError } from './errors.js';
import { parseInput } from './input/parse.js';
import type { Input } from './input/schema.js';
import type { Obj } from './obj.js';
import { CRONJOB_READINESS, JOB_READINESS, observedManifest, outputMode, routeReadiness, wrap } from './output.js';
import { cronJobVerdict, jobVerdict, routeVerdict, type Verdict } from './ready.js';
import { backupTime } from './schedule.js';
import { RETENTION_DAYS, parseTenant, type Tenant } from './tenant.js';

export interface Deps {
  readonly now: () => Date;
  readonly log: Logger;
}

/** Pipeline resource names this step owns. The filestore Job's carries its spec hash. */
export const ROUTE = 'route';
export const BACKUP = 'backup';
export const FILESTORE_PREFIX = 'filestore-';

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
      return fatal(req, desiredIn, reason, err.message);
    }
    throw err;
  }

  const taken = Object.keys(desiredIn.resources).find((n) => n === ROUTE || n === BACKUP || n.startsWith(FILESTORE_PREFIX));
  if (taken !== undefined) {
    return fatal(
      req,
      desiredIn,
      'ResourceNameConflict',
      `desired resource ${JSON.stringify(taken)} was set by an earlier pipeline step: this step owns ${ROUTE}, ${BACKUP} and ${FILESTORE_PREFIX}*`,
    );
  }

  const mode = outputMode(tenant, input);
  if (mode === 'Direct' && tenant.xrNamespace !== undefined) {
    return fatal(
      req,
      desiredIn,
      'InvalidInput',
      `input.output.mode: "Direct" is not allowed: must be Object or Auto for a namespaced XR (${tenant.xrNamespace}/${tenant.xrName} may compose only into its own namespace)`,
    );
  }

  const refs = parentRefs(tenant, input);
  const route = buildRoute(tenant, input);
  const backup = buildBackup(tenant, input);
  const filestore = buildFilestoreJob(tenant, input);
  const filestoreName = `${FILESTORE_PREFIX}${filestore.hash}`;
  // Object mode wraps each plain object; its name suffix is its pipeline name.
  const emit =
    mode === 'Direct'
      ? (manifest: object): object => manifest
      : (manifest: object, name: string, readiness: Parameters<typeof wrap>[2]): object => wrap(manifest as Obj, name, readiness, tenant, input);

  const observed = (name: string): Obj | undefined => observedManifest(req.observed?.resources[name]?.resource);
  const routeState = routeVerdict(observed(ROUTE), refs, input.gateway.readiness);
  const jobState = jobVerdict(observed(filestoreName));
  const cronState = cronJobVerdict(observed(BACKUP));
  const health = backupHealth(observed(BACKUP), tenant.backupSuspended, input.backup.staleAfterHours, tenant.createdAt, deps.now());

  const resources: Record<string, Resource> = {
    ...desiredIn.resources,
    [ROUTE]: composed(emit(route, ROUTE, routeReadiness(refs.map((r) => r.sectionName), input.gateway.readiness)), routeState),
    [BACKUP]: composed(emit(backup, BACKUP, CRONJOB_READINESS), cronState),
    [filestoreName]: composed(emit(filestore.job, filestoreName, JOB_READINESS), jobState),
  };

  const allReady = routeState.ready && jobState.ready && cronState.ready;
  const steady = allReady && !health.degraded;
  deps.log.debug({ tag: req.meta?.tag, tenant: tenant.subdomain, ready: allReady }, 'composed tenant');

  return {
    meta: { tag: req.meta?.tag ?? '', ttl: { seconds: steady ? input.ttl.steadySeconds : input.ttl.pendingSeconds, nanos: 0 } },
    desired: { composite: withStatus(desiredIn.composite, status(tenant, input, health)), resources },
    results: warnings([routeState, jobState, health]),
    context: req.context,
    requirements: undefined,
    conditions: [
      condition('RouteReady', routeState.ready ? 'True' : 'False', routeState),
      condition('FilestoreReady', jobState.ready ? 'True' : 'False', jobState),
      condition('BackupHealthy', health.status, health),
    ],
  };
}

// No defensive copy here: the builders make fresh plain objects on every call, and the wire
// encoder (src/wire.ts) refuses anything a protobuf Struct cannot carry.
function composed(resource: object, verdict: Verdict): Resource {
  return {
    resource: resource as Obj,
    connectionDetails: {},
    ready: verdict.ready ? Ready.READY_TRUE : Ready.READY_FALSE,
  };
}

/** The XR status fields this step owns (DESIGN §5); the XRD's status schema mirrors them. */
function status(tenant: Tenant, input: Input, health: BackupHealth): Obj {
  const time = backupTime(tenant.subdomain, input.backup.windowStartHour, input.backup.windowMinutes);
  return {
    hostnames: [...tenant.hostnames],
    url: `https://${tenant.database}`,
    database: tenant.database,
    namespace: tenant.namespace,
    filestorePath: `${input.odoo.filestoreRoot}/${tenant.database}`,
    backup: {
      schedule: time.cron,
      timeZone: input.backup.timeZone,
      location: backupLocation(tenant, input),
      retentionDays: RETENTION_DAYS[tenant.tier],
      ...(tenant.backupSuspended ? { suspended: true } : {}),
      ...(health.lastSuccessfulTime === undefined ? {} : { lastSuccessfulTime: health.lastSuccessfulTime }),
    },
  };
}

/** The desired XR with our status fields set beside whatever earlier steps put there. */
function withStatus(composite: Resource | undefined, fields: Obj): Resource {
  const xr = composite?.resource ?? {};
  const previous = xr['status'] !== null && typeof xr['status'] === 'object' ? (xr['status'] as Obj) : {};
  return {
    resource: { ...xr, status: { ...previous, ...fields } },
    connectionDetails: composite?.connectionDetails ?? {},
    ready: composite?.ready ?? Ready.READY_UNSPECIFIED,
  };
}

const STATUS = { True: Status.STATUS_CONDITION_TRUE, False: Status.STATUS_CONDITION_FALSE, Unknown: Status.STATUS_CONDITION_UNKNOWN } as const;

function condition(type: string, status: keyof typeof STATUS, verdict: Verdict): Condition {
  return { type, status: STATUS[status], reason: verdict.reason, message: verdict.message, target: Target.TARGET_COMPOSITE_AND_CLAIM };
}

/** A Warning per degraded concern; nothing at all when all is well (no Normal on every call). */
function warnings(concerns: readonly Verdict[]): Result[] {
  return concerns
    .filter((v) => v.degraded)
    .map((v) => ({ severity: Severity.SEVERITY_WARNING, reason: v.reason, message: v.message, target: Target.TARGET_COMPOSITE }));
}

/** One Fatal result; the desired state earlier steps built goes back unchanged. */
export function fatal(req: RunFunctionRequest, desired: State, reason: string, message: string): RunFunctionResponse {
  return {
    meta: { tag: req.meta?.tag ?? '', ttl: undefined },
    desired,
    results: [{ severity: Severity.SEVERITY_FATAL, reason, message, target: Target.TARGET_COMPOSITE }],
    context: req.context,
    requirements: undefined,
    conditions: [],
  };
}
