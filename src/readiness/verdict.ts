/**
 * Readiness rules as data: one file per composed kind (./httproute.ts, ./job.ts, ./cronjob.ts)
 * holds the function's own predicate for that kind, from the observed object to a Verdict with a
 * CamelCase reason and a stable message (no timestamps: a message that changes on every call
 * makes the XR's conditions flap), and beside it the policy provider-kubernetes applies to an
 * Object wrapping that kind. test/readiness-cel.test.ts evaluates each policy against the same
 * observed objects as the predicate and checks that they agree.
 */
import { isObject, type Obj } from '../obj.js';

export interface Verdict {
  readonly ready: boolean;
  /** Something went wrong that waiting alone will not fix: reported as a Warning result. */
  readonly degraded: boolean;
  readonly reason: string;
  readonly message: string;
}

/**
 * How provider-kubernetes judges a wrapped object ready: `SuccessfulCreate` when existence is
 * enough, else a CEL query over the observed manifest.
 */
export type Policy = { readonly policy: 'SuccessfulCreate' } | { readonly policy: 'DeriveFromCelQuery'; readonly celQuery: string };

/** One kind's readiness for one object: the function's predicate and provider-kubernetes' policy. */
export interface Readiness {
  readonly judge: (observed: Obj | undefined) => Verdict;
  readonly policy: Policy;
}

export const verdict = (ready: boolean, degraded: boolean, reason: string, message: string): Verdict => ({
  ready,
  degraded,
  reason,
  message,
});

export interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration: number | undefined;
}

/** Conditions of a status block, tolerating any shape an observed object may have. */
export function conditionsOf(holder: unknown): Condition[] {
  const list = isObject(holder) ? holder['conditions'] : undefined;
  if (!Array.isArray(list)) return [];
  return list.filter(isObject).map((c) => ({
    type: typeof c['type'] === 'string' ? c['type'] : '',
    status: typeof c['status'] === 'string' ? c['status'] : '',
    reason: typeof c['reason'] === 'string' ? c['reason'] : '',
    message: typeof c['message'] === 'string' ? c['message'] : '',
    observedGeneration: typeof c['observedGeneration'] === 'number' ? c['observedGeneration'] : undefined,
  }));
}

/** "Reason: message" of an observed condition, as its controller wrote them. */
export const explain = (c: Condition): string => [c.reason || 'no reason given', c.message].filter((part) => part !== '').join(': ');

export const findCondition = (conditions: readonly Condition[], type: string): Condition | undefined =>
  conditions.find((c) => c.type === type);

/** `{holder}.conditions` has `type` with status True, in CEL. */
export const celConditionTrue = (holder: string, type: string): string =>
  `${holder}.conditions.exists(c, c.type == '${type}' && c.status == 'True')`;
