/**
 * The pieces of a RunFunctionResponse, in the spirit of function-sdk-go's `response` package
 * (https://github.com/crossplane/function-sdk-go/tree/main/response): a Fatal that keeps the
 * earlier steps' desired state, a composed resource with its readiness, a condition, a Warning,
 * the XR's status fields, the requirements. Nothing here knows what the function composes.
 *
 * Every piece is a new plain object: the request is never mutated, and what the response shares
 * with it (earlier steps' resources, the context) goes back as it came.
 */
import {
  Ready,
  Severity,
  Status,
  Target,
  type Condition,
  type Requirements,
  type Resource,
  type ResourceSelector,
  type Result,
  type RunFunctionRequest,
  type RunFunctionResponse,
} from '@crossplane-org/function-sdk-typescript';

type Obj = Record<string, unknown>;

/** One Fatal result; the desired state earlier steps built and the context go back unchanged. */
export function fatal(req: RunFunctionRequest, reason: string, message: string): RunFunctionResponse {
  return {
    meta: { tag: req.meta?.tag ?? '', ttl: undefined },
    desired: req.desired ?? { composite: undefined, resources: {} },
    results: [{ severity: Severity.SEVERITY_FATAL, reason, message, target: Target.TARGET_COMPOSITE }],
    context: req.context,
    requirements: undefined,
    conditions: [],
  };
}

/**
 * A composed resource and whether it is ready. No defensive copy: callers hand in fresh plain
 * objects, and the wire encoder (src/grpc/wire.ts) refuses anything a protobuf Struct cannot carry.
 */
export function composed(resource: Obj, ready: boolean): Resource {
  return { resource, connectionDetails: {}, ready: ready ? Ready.READY_TRUE : Ready.READY_FALSE };
}

const STATUS = {
  True: Status.STATUS_CONDITION_TRUE,
  False: Status.STATUS_CONDITION_FALSE,
  Unknown: Status.STATUS_CONDITION_UNKNOWN,
} as const;
export type ConditionStatus = keyof typeof STATUS;

/** A condition for the XR and its claim. */
export function condition(type: string, status: ConditionStatus, reason: string, message: string): Condition {
  return { type, status: STATUS[status], reason, message, target: Target.TARGET_COMPOSITE_AND_CLAIM };
}

/** A Warning result: Crossplane makes it a Warning event on the XR. */
export function warning(reason: string, message: string): Result {
  return { severity: Severity.SEVERITY_WARNING, reason, message, target: Target.TARGET_COMPOSITE };
}

/** The desired XR with `fields` set in its status beside whatever earlier steps put there. */
export function withStatus(composite: Resource | undefined, fields: Obj): Resource {
  const xr = composite?.resource ?? {};
  const previous = xr['status'] !== null && typeof xr['status'] === 'object' ? (xr['status'] as Obj) : {};
  return {
    resource: { ...xr, status: { ...previous, ...fields } },
    connectionDetails: composite?.connectionDetails ?? {},
    ready: composite?.ready ?? Ready.READY_UNSPECIFIED,
  };
}

/**
 * Resources Crossplane must fetch and send with the next call, or undefined when there are none.
 * Crossplane v2 reads requirements.resources (it says so with CAPABILITY_REQUIRED_RESOURCES);
 * Crossplane v1 reads only the older requirements.extra_resources.
 */
export function requirements(
  field: 'resources' | 'extraResources',
  selectors: Readonly<Record<string, ResourceSelector>>,
): Requirements | undefined {
  if (Object.keys(selectors).length === 0) return undefined;
  return {
    extraResources: field === 'extraResources' ? { ...selectors } : {},
    resources: field === 'resources' ? { ...selectors } : {},
    schemas: {},
  };
}
