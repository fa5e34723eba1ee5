/**
 * The controllers that cannot run here (no kubelet, no Envoy Gateway), played by writing only
 * what each would write, through the status subresource; and the XR assertions the scenarios
 * share.
 */
import { condition, field, K, type Kind, type Kube, meta, type Obj, waitFor } from './kube.js';

const GATEWAY_CONTROLLER = 'gateway.envoyproxy.io/gatewayclass-controller';

const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const hoursAgo = (h: number): string => new Date(Date.now() - h * 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');

/**
 * The gateway's verdict on a route: one status.parents entry per parentRef of the route, each
 * with Accepted and ResolvedRefs for the route's current generation.
 */
export async function playGateway(
  kube: Kube,
  namespace: string,
  name: string,
  verdict: { accepted: boolean; resolved?: boolean; reason?: string; message?: string } = { accepted: true },
): Promise<Obj> {
  const route = await kube.mustGet(K.httpRoute, namespace, name);
  const generation = meta(route)['generation'] as number;
  const parentRefs = (field(route, 'spec', 'parentRefs') as Obj[] | undefined) ?? [];
  const t = now();
  const parents = parentRefs.map((ref) => ({
    parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', ...ref },
    controllerName: GATEWAY_CONTROLLER,
    conditions: [
      verdict.accepted
        ? {
            type: 'Accepted',
            status: 'True',
            reason: 'Accepted',
            message: 'Route is accepted',
            observedGeneration: generation,
            lastTransitionTime: t,
          }
        : {
            type: 'Accepted',
            status: 'False',
            reason: verdict.reason ?? 'NotAllowedByListeners',
            message: verdict.message ?? 'No listener of the Gateway allows this route',
            observedGeneration: generation,
            lastTransitionTime: t,
          },
      verdict.resolved === false
        ? {
            type: 'ResolvedRefs',
            status: 'False',
            reason: 'BackendNotFound',
            message: 'Service worker-odoo not found',
            observedGeneration: generation,
            lastTransitionTime: t,
          }
        : {
            type: 'ResolvedRefs',
            status: 'True',
            reason: 'ResolvedRefs',
            message: 'Resolved all the Object references for the Route',
            observedGeneration: generation,
            lastTransitionTime: t,
          },
    ],
  }));
  return kube.patchStatus(K.httpRoute, namespace, name, { parents });
}

/**
 * The Job controller's final status (it is off in this control plane, and no pod runs): a
 * completed Job, or one that hit its backoff limit.
 */
export async function playJob(
  kube: Kube,
  namespace: string,
  name: string,
  outcome: 'Complete' | 'Failed',
  kind: Kind = K.job,
): Promise<Obj> {
  const start = hoursAgo(0.01);
  const t = now();
  const status =
    outcome === 'Complete'
      ? {
          startTime: start,
          completionTime: t,
          succeeded: 1,
          ready: 0,
          terminating: 0,
          uncountedTerminatedPods: {},
          conditions: [
            {
              type: 'SuccessCriteriaMet',
              status: 'True',
              reason: 'CompletionsReached',
              message: 'Reached expected number of succeeded pods',
              lastProbeTime: t,
              lastTransitionTime: t,
            },
            {
              type: 'Complete',
              status: 'True',
              reason: 'CompletionsReached',
              message: 'Reached expected number of succeeded pods',
              lastProbeTime: t,
              lastTransitionTime: t,
            },
          ],
        }
      : {
          startTime: start,
          failed: 5,
          ready: 0,
          terminating: 0,
          uncountedTerminatedPods: {},
          conditions: [
            {
              type: 'FailureTarget',
              status: 'True',
              reason: 'BackoffLimitExceeded',
              message: 'Job has reached the specified backoff limit',
              lastProbeTime: t,
              lastTransitionTime: t,
            },
            {
              type: 'Failed',
              status: 'True',
              reason: 'BackoffLimitExceeded',
              message: 'Job has reached the specified backoff limit',
              lastProbeTime: t,
              lastTransitionTime: t,
            },
          ],
        };
  return kube.patchStatus(kind, namespace, name, status);
}

/**
 * The CronJob controller's record of runs (hours ago): it sets lastScheduleTime when it starts a
 * run and lastSuccessfulTime when that run's Job completes, so a run that succeeded was scheduled
 * a little before its success (the default); a schedule after the last success is a run that failed.
 */
export async function playCronJob(
  kube: Kube,
  namespace: string,
  name: string,
  lastSuccessHoursAgo: number,
  lastScheduleHoursAgo = lastSuccessHoursAgo + 0.05,
): Promise<Obj> {
  return kube.patchStatus(K.cronJob, namespace, name, {
    lastScheduleTime: hoursAgo(lastScheduleHoursAgo),
    lastSuccessfulTime: hoursAgo(lastSuccessHoursAgo),
  });
}

export interface ExpectCondition {
  type: string;
  status: string;
  reason?: string;
  /** A fragment the message must contain. */
  message?: string;
}

/** Waits until the object shows every given condition; the timeout names what it last saw. */
export async function waitConditions(
  kube: Kube,
  kind: Kind,
  namespace: string | undefined,
  name: string,
  want: readonly ExpectCondition[],
  timeoutMs = 90_000,
): Promise<Obj> {
  let last: Obj | undefined;
  try {
    return await waitFor(
      `${kind.plural} ${namespace ? `${namespace}/` : ''}${name} to show ${want.map((w) => `${w.type}=${w.status}${w.reason ? `/${w.reason}` : ''}`).join(', ')}`,
      async () => {
        last = await kube.get(kind, namespace, name);
        if (last === undefined) return undefined;
        const ok = want.every((w) => {
          const c = condition(last, w.type);
          return (
            c !== undefined &&
            c.status === w.status &&
            (w.reason === undefined || c.reason === w.reason) &&
            (w.message === undefined || (c.message ?? '').includes(w.message))
          );
        });
        return ok ? last : undefined;
      },
      timeoutMs,
      300,
    );
  } catch (e) {
    const conds = JSON.stringify((last?.['status'] as Obj | undefined)?.['conditions'] ?? null, null, 1);
    throw new Error(`${(e as Error).message}\nlast conditions: ${conds}`, { cause: e });
  }
}

/** The composed objects Crossplane records on a v2 XR (spec.crossplane.resourceRefs). */
export function resourceRefs(xr: Obj): { apiVersion: string; kind: string; name: string; namespace?: string }[] {
  return (
    (field(xr, 'spec', 'crossplane', 'resourceRefs') as
      { apiVersion: string; kind: string; name: string; namespace?: string }[] | undefined) ?? []
  );
}

/** Events about an object (Crossplane reports the function's Warning results as events). */
export async function eventsFor(kube: Kube, name: string, namespace = 'default'): Promise<Obj[]> {
  const evs = await kube.list(K.event, namespace);
  return evs.filter((e) => field(e, 'involvedObject', 'name') === name);
}
