/** Shared fixtures: PLANA's documented example tenant and request builders. */
import type { RunFunctionRequest } from '@crossplane-org/function-sdk-typescript';
import { buildRedirectRoute } from '../src/builders/route.js';
import type { Deps } from '../src/fn.js';
import type { Plan } from '../src/plan.js';
import { parseInput } from '../src/input/parse.js';
import type { Input } from '../src/input/schema.js';
import { parseTenant, type Tenant } from '../src/tenant.js';

export type { Obj } from '../src/obj.js';
import type { Obj } from '../src/obj.js';

export const NOW = new Date('2026-11-22T10:00:00Z');

export const deps: Deps = { now: () => NOW };

export const ACME_SPEC = {
  subdomain: 'acme',
  projectId: 23,
  tier: 'pro',
  odooVersion: '18',
  ownerEmail: 'ceo@acme.bg',
  ownerName: 'Acme Corp',
};

/** A PLANAClient; its name follows its subdomain (PLANA's convention) unless metadata says otherwise. */
export function xr(spec: Obj = {}, metadata: Obj = {}): Obj {
  const subdomain = spec['subdomain'] ?? ACME_SPEC.subdomain;
  return {
    apiVersion: 'planapulse.com/v1alpha1',
    kind: 'PLANAClient',
    metadata: { name: typeof subdomain === 'string' ? subdomain : 'acme', ...metadata },
    spec: { ...ACME_SPEC, ...spec },
  };
}

export const INPUT_HEAD = { apiVersion: 'tenant.fn.planapulse.com/v1beta1', kind: 'Input' };

export const defaults = (): Input => parseInput(undefined);
export const input = (fields: Obj = {}): Input => parseInput({ ...INPUT_HEAD, ...fields });
export const tenant = (spec: Obj = {}, inp: Input = defaults()): Tenant => parseTenant(xr(spec), inp);

export interface RequestParts {
  xr?: Obj;
  input?: Obj;
  observed?: Record<string, Obj>;
  desired?: Record<string, Obj>;
  desiredComposite?: Obj;
  context?: Obj;
}

export function request(parts: RequestParts = {}): RunFunctionRequest {
  const wrap = (resource: Obj) => ({ resource, connectionDetails: {}, ready: 0 });
  return {
    meta: { tag: 'test-tag', capabilities: [] },
    observed: {
      composite: wrap(parts.xr ?? xr()),
      resources: Object.fromEntries(Object.entries(parts.observed ?? {}).map(([k, v]) => [k, wrap(v)])),
    },
    desired: {
      composite: parts.desiredComposite === undefined ? undefined : wrap(parts.desiredComposite),
      resources: Object.fromEntries(Object.entries(parts.desired ?? {}).map(([k, v]) => [k, wrap(v)])),
    },
    input: parts.input,
    context: parts.context,
    extraResources: {},
    credentials: {},
    requiredResources: {},
    requiredSchemas: {},
  };
}

export { deepFreeze } from '../src/obj.js';

/** The alias redirect route of a plan, or undefined for a tenant without aliases. */
export const redirectOf = (plan: Plan): ReturnType<typeof buildRedirectRoute> | undefined =>
  plan.redirect === undefined ? undefined : buildRedirectRoute(plan.redirect);
