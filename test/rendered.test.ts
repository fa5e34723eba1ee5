/**
 * Assertions on what the real `crossplane render` printed for each example (examples/rendered/,
 * which CI regenerates with scripts/render.sh --check and requires to be identical).
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';

type Obj = Record<string, unknown> & { kind?: string; apiVersion?: string; metadata?: Obj; status?: Obj };
interface Cond {
  type: string;
  status: string;
  reason: string;
}

const rendered = (name: string): Obj[] =>
  parseAllDocuments(readFileSync(`examples/rendered/${name}.yaml`, 'utf8'))
    .map((d) => d.toJS() as Obj)
    .filter((d) => d !== null);
const xrOf = (docs: Obj[]): Obj => docs.find((d) => d.kind === 'PLANAClient')!;
const conditions = (docs: Obj[]): Record<string, [string, string]> =>
  Object.fromEntries(((xrOf(docs).status?.['conditions'] as Cond[]) ?? []).map((c) => [c.type, [c.status, c.reason]]));
const ours = (docs: Obj[]) => docs.filter((d) => d.kind !== 'PLANAClient' && d.kind !== 'Result');
const warnings = (docs: Obj[]) => docs.filter((d) => d.kind === 'Result' && d['severity'] === 'Warning').map((d) => d['reason']);

describe('crossplane render of the examples', () => {
  it.each([
    {
      name: 'acme',
      ready: ['False', 'Creating'],
      route: ['False', 'Creating'],
      filestore: ['False', 'Creating'],
      backup: ['Unknown', 'Creating'],
      warnings: [],
    },
    {
      name: 'acme-ready',
      ready: ['True', 'Available'],
      route: ['True', 'Accepted'],
      filestore: ['True', 'Created'],
      backup: ['True', 'BackedUp'],
      warnings: [],
    },
    {
      name: 'acme-degraded',
      ready: ['False', 'Creating'],
      route: ['False', 'RouteRejected'],
      filestore: ['False', 'JobFailed'],
      backup: ['False', 'LastRunFailed'],
      warnings: ['JobFailed', 'LastRunFailed', 'RouteRejected'],
    },
    {
      name: 'zora-enterprise',
      ready: ['False', 'Creating'],
      route: ['False', 'Creating'],
      filestore: ['False', 'Creating'],
      backup: ['False', 'Suspended'],
      warnings: [],
    },
    {
      name: 'namespaced-ready',
      ready: ['True', 'Available'],
      route: ['True', 'Accepted'],
      filestore: ['True', 'Created'],
      backup: ['True', 'BackedUp'],
      warnings: [],
    },
  ])('$name: XR Ready $ready, custom conditions and warnings', ({ name, ready, route, filestore, backup, warnings: want }) => {
    const docs = rendered(name);
    const c = conditions(docs);
    expect(c['Ready']).toEqual(ready);
    expect(c['RouteReady']).toEqual(route);
    expect(c['FilestoreReady']).toEqual(filestore);
    expect(c['BackupHealthy']).toEqual(backup);
    expect(warnings(docs)).toEqual(want);
  });

  it('acme: the HTTPRoute, CronJob and Job, in their namespaces, with the XR status', () => {
    const docs = rendered('acme');
    expect(ours(docs).map((d) => [d.kind, d.metadata?.['namespace'], d.metadata?.['name']])).toEqual([
      ['CronJob', 'backup', 'backup-acme'],
      ['Job', 'crossplane-system', 'filestore-acme-8c8ffff2'],
      ['HTTPRoute', 'plana-odoo-18', 'acme'],
    ]);
    expect(xrOf(docs).status).toMatchObject({
      database: 'acme.planapulse.app',
      url: 'https://acme.planapulse.app',
      namespace: 'plana-odoo-18',
    });
  });

  it('boreal: Odoo 19; the canonical route on https-app, the alias answered by a redirect route on https-online', () => {
    // render prints composed resources by pipeline name: redirect-* before route-*.
    const routes = ours(rendered('boreal-v19-alias'))
      .filter((d) => d.kind === 'HTTPRoute')
      .sort((a, b) => String(a.metadata?.['name']).localeCompare(String(b.metadata?.['name'])));
    expect(routes.map((r) => [r.metadata?.['namespace'], r.metadata?.['name'], (r['spec'] as Obj)['hostnames']])).toEqual([
      ['plana-odoo-19', 'boreal', ['boreal.planapulse.app']],
      ['plana-odoo-19', 'boreal.aliases', ['boreal.planapulse.online']],
    ]);
    expect(((routes[1]!['spec'] as Obj)['rules'] as Obj[])[0]!['filters']).toEqual([
      { type: 'RequestRedirect', requestRedirect: { scheme: 'https', hostname: 'boreal.planapulse.app', statusCode: 301 } },
    ]);
    expect(JSON.stringify(routes[0])).not.toContain('URLRewrite');
  });

  it('acme-upgrade-v19: from the observed v18 state the route is composed in plana-odoo-19, none in plana-odoo-18, not ready yet', () => {
    const docs = rendered('acme-upgrade-v19');
    const routes = ours(docs).filter((d) => d.kind === 'HTTPRoute');
    expect(routes.map((r) => [r.metadata?.['namespace'], r.metadata?.['name']])).toEqual([['plana-odoo-19', 'acme']]);
    expect(conditions(docs)['RouteReady']).toEqual(['False', 'Creating']);
    expect(xrOf(docs).status).toMatchObject({ namespace: 'plana-odoo-19' });
  });

  it("acme-takeover-refused: a hand-made route where acme's belongs is refused with a ResourceConflict, nothing composed", () => {
    const text = readFileSync('examples/rendered/acme-takeover-refused.yaml', 'utf8');
    expect(text).toContain('HTTPRoute plana-odoo-18/acme already exists and has no planapulse.com/tenant-uid label');
    expect(text).toContain('refusing to take it over');
  });

  it('v1-claim: the composite a claim makes (generated name, claim name label) is accepted and composed', () => {
    const docs = rendered('v1-claim');
    expect(ours(docs).map((o) => o.kind)).toEqual(Array(3).fill('Object'));
    expect(xrOf(docs).metadata?.['name']).toBe('acme-x7k2p');
    expect(xrOf(docs).status).toMatchObject({ database: 'acme.planapulse.app' });
  });

  it('invalid: one Fatal result names every invalid field, its value and the rule', () => {
    const text = readFileSync('examples/rendered/invalid.yaml', 'utf8');
    expect(text).toContain(
      'spec.subdomain: "x; rm -rf /" is not allowed: must be a DNS label of lowercase letters, digits and inner hyphens, at most 30 characters; spec.tier: "gold" is not allowed: must be one of starter, pro, enterprise',
    );
  });

  it('namespaced XR: namespaced Objects in crossplane-system whose manifests target the version, backup and job namespaces', () => {
    const objects = ours(rendered('namespaced'));
    expect(objects.map((o) => [o.apiVersion, o.kind, o.metadata?.['namespace']])).toEqual(
      Array(3).fill(['kubernetes.m.crossplane.io/v1alpha1', 'Object', 'crossplane-system']),
    );
    const targets = objects.map((o) => (((o['spec'] as Obj)['forProvider'] as Obj)['manifest'] as Obj).metadata?.['namespace']);
    expect(targets.sort()).toEqual(['backup', 'crossplane-system', 'plana-odoo-18']);
  });

  it('Crossplane v1 (crank v1.20.11): cluster-scoped Objects, ready from their observed manifests', () => {
    const docs = rendered('v1-ready');
    expect(ours(docs).map((o) => [o.apiVersion, o.kind, o.metadata?.['namespace']])).toEqual(
      Array(3).fill(['kubernetes.crossplane.io/v1alpha2', 'Object', undefined]),
    );
    expect(conditions(docs)['Ready']).toEqual(['True', 'Available']);
    expect(conditions(docs)['RouteReady']).toEqual(['True', 'Accepted']);
  });
});
