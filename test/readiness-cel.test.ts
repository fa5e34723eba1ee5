/**
 * In Object mode provider-kubernetes decides readiness with the CEL query each Object carries;
 * in Direct mode the function's own predicates (src/readiness/) decide. They must agree. Here the
 * CEL queries are evaluated for real (cel-js, a CEL implementation) against the same observed
 * objects the predicates judge: well-formed Kubernetes objects, as an API server would hold them.
 */
import { evaluate } from '@marcbachmann/cel-js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolve } from '../src/plan.js';
import { routePolicy, routeVerdict } from '../src/readiness/httproute.js';
import { jobReadiness, jobVerdict } from '../src/readiness/job.js';
import type { Policy } from '../src/readiness/verdict.js';
import { defaults, tenant, type Obj } from './support.js';

const RUNS = Number(process.env['PROPERTY_RUNS'] ?? 1500);

/** What provider-kubernetes concludes from a readiness policy for an object that exists. */
function celReady(readiness: Policy, observed: Obj): boolean {
  if (readiness.policy === 'SuccessfulCreate') return true;
  return evaluate(readiness.celQuery, { object: observed }) === true;
}

// Unique types per list, as the API server keeps them (conditions are a list-map keyed by type).
const conditions = fc.uniqueArray(
  fc.record(
    {
      type: fc.constantFrom('Accepted', 'ResolvedRefs', 'Complete', 'Failed', 'Programmed'),
      status: fc.constantFrom('True', 'False', 'Unknown'),
      observedGeneration: fc.integer({ min: 1, max: 3 }),
      reason: fc.constantFrom('Accepted', 'NotAllowedByListeners', 'BackoffLimitExceeded'),
    },
    { requiredKeys: ['type', 'status'] },
  ),
  { selector: (c) => c.type, maxLength: 4 },
);

describe("the Objects' CEL readiness policies agree with the function's own predicates", () => {
  const t = tenant({ aliasDomains: ['planapulse.online'] });
  // Every listener the tenant's hosts need: the canonical route's and the alias redirect's.
  const plan = resolve(t, defaults());
  const refs = [...plan.route.parentRefs, ...(plan.redirect?.parentRefs ?? [])];
  const parentRef = fc.record(
    {
      name: fc.constantFrom('eg-gateway', 'other-gateway'),
      namespace: fc.constantFrom('plana-odoo', 'plana-odoo-18', 'elsewhere'),
      group: fc.constantFrom('gateway.networking.k8s.io', 'example.org'),
      kind: fc.constantFrom('Gateway', 'ListenerSet'),
      sectionName: fc.constantFrom('https-app', 'https-online', 'https-dev'),
    },
    { requiredKeys: ['name'] },
  );
  const routeIn = (namespace: string, generation: number, parents: unknown[]) => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'acme', namespace, generation },
    status: { parents },
  });
  // Mostly what an Envoy Gateway writes for our parentRefs, sometimes with Gateway API's defaults
  // left out, stale, rejected or from another gateway; and entirely random routes.
  const nearlyOurs = fc.integer({ min: 1, max: 3 }).chain((generation) =>
    fc
      .tuple(
        fc.constantFrom('plana-odoo-18', 'plana-odoo'),
        fc.tuple(
          ...refs.map((ref) =>
            fc.option(
              fc.record({
                parentRef: fc.oneof(
                  fc.constant({ ...ref }),
                  fc.constant({ name: ref.name, namespace: ref.namespace, sectionName: ref.sectionName }),
                  fc.constant({ name: ref.name, sectionName: ref.sectionName }),
                  parentRef.map((p) => ({ ...p, sectionName: ref.sectionName })),
                ),
                controllerName: fc.constant('gateway.envoyproxy.io/gatewayclass-controller'),
                conditions: fc.oneof(
                  fc.constantFrom(generation, generation - 1).map((g) => [
                    { type: 'Accepted', status: 'True', observedGeneration: g, reason: 'Accepted' },
                    { type: 'ResolvedRefs', status: 'True', observedGeneration: g, reason: 'ResolvedRefs' },
                  ]),
                  conditions,
                ),
              }),
              { freq: 5 },
            ),
          ),
        ),
      )
      .map(([namespace, parents]) =>
        routeIn(
          namespace,
          generation,
          parents.filter((p) => p !== null),
        ),
      ),
  );
  const route = fc.oneof(
    nearlyOurs,
    fc.record({
      apiVersion: fc.constant('gateway.networking.k8s.io/v1'),
      kind: fc.constant('HTTPRoute'),
      metadata: fc.record(
        {
          name: fc.constant('acme'),
          namespace: fc.constantFrom('plana-odoo-18', 'plana-odoo'),
          generation: fc.integer({ min: 1, max: 3 }),
        },
        { requiredKeys: ['name', 'namespace'] },
      ),
      status: fc.record(
        {
          parents: fc.uniqueArray(
            fc.record(
              { parentRef, controllerName: fc.constant('gateway.envoyproxy.io/gatewayclass-controller'), conditions },
              { requiredKeys: ['parentRef'] },
            ),
            {
              selector: (p) => JSON.stringify(p.parentRef),
              maxLength: 4,
            },
          ),
        },
        { requiredKeys: [] },
      ),
    }),
  );

  it('HTTPRoute: Accepted and ResolvedRefs of the current generation from our Gateway on every listener', () => {
    const readiness = routePolicy(refs, 'RouteStatus');
    fc.assert(
      fc.property(route, (observed) => {
        expect(celReady(readiness, observed as Obj)).toBe(routeVerdict(observed as Obj, refs, 'RouteStatus').ready);
      }),
      { numRuns: RUNS },
    );
  });

  it('HTTPRoute with gateway.readiness Exists: ready once it exists, both ways', () => {
    fc.assert(
      fc.property(route, (observed) => {
        expect(celReady(routePolicy(refs, 'Exists'), observed as Obj)).toBe(routeVerdict(observed as Obj, refs, 'Exists').ready);
      }),
      { numRuns: Math.ceil(RUNS / 10) },
    );
  });

  it('filestore Job: Complete=True', () => {
    const job = fc.record({
      apiVersion: fc.constant('batch/v1'),
      kind: fc.constant('Job'),
      metadata: fc.constant({ name: 'filestore-acme-8c8ffff2', namespace: 'crossplane-system' }),
      status: fc.record({ conditions, succeeded: fc.integer({ min: 0, max: 1 }) }, { requiredKeys: [] }),
    });
    fc.assert(
      fc.property(job, (observed) => {
        expect(celReady(jobReadiness.policy, observed as Obj)).toBe(jobVerdict(observed as Obj).ready);
      }),
      { numRuns: RUNS },
    );
  });

  it('finds the cases that matter in the generated objects (the property is not vacuous)', () => {
    const readiness = routePolicy(refs, 'RouteStatus');
    const samples = fc.sample(route, 3000).map((o) => celReady(readiness, o as Obj));
    expect(samples.filter(Boolean).length).toBeGreaterThan(0);
    expect(samples.filter((x) => !x).length).toBeGreaterThan(0);
  });
});
