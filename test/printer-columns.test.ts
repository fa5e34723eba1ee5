/**
 * `kubectl get planaclients` (issue 13): every XRD prints the same columns, and each column's
 * JSONPath finds its value in what the function really wrote, the XRs rendered by
 * `crossplane render` into the goldens (examples/rendered/).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import type { Obj } from './support.js';

const XRDS = ['examples/xrd.yaml', 'examples/namespaced/xrd.yaml', 'examples/v1/xrd.yaml'];

interface Column {
  name: string;
  type: string;
  jsonPath: string;
}
const columns = (file: string): Column[] => {
  const xrd = parse(readFileSync(file, 'utf8')) as { spec: { versions: Array<{ additionalPrinterColumns: Column[] }> } };
  return xrd.spec.versions[0]!.additionalPrinterColumns;
};
const renderedXr = (scenario: string): Obj =>
  parseAllDocuments(readFileSync(`examples/rendered/${scenario}.yaml`, 'utf8'))[0]!.toJS() as Obj;

/** The two JSONPath shapes the columns use: `.a.b` and `.status.conditions[?(@.type=='T')].status`. */
function evaluate(path: string, obj: unknown): unknown {
  const m = /^\.status\.conditions\[\?\(@\.type=='([A-Za-z]+)'\)\]\.status$/.exec(path);
  if (m) return ((obj as { status?: { conditions?: Obj[] } }).status?.conditions ?? []).find((c) => c['type'] === m[1])?.['status'];
  expect(path).toMatch(/^(\.[A-Za-z]+)+$/);
  return path
    .split('.')
    .slice(1)
    .reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Obj)[k] : undefined), obj);
}

describe('the XRDs printer columns', () => {
  it('are the same in all three XRDs: subdomain, Odoo version, tier, URL and each concern (Crossplane adds READY)', () => {
    const want = columns(XRDS[0]!);
    expect(want.map((c) => c.name)).toEqual(['SUBDOMAIN', 'ODOO', 'TIER', 'URL', 'ROUTE', 'FILESTORE', 'BACKUP']);
    expect(want.every((c) => c.type === 'string')).toBe(true);
    for (const f of XRDS.slice(1)) expect(columns(f)).toEqual(want);
  });

  it.each([
    { scenario: 'acme-ready', want: ['acme', '18', 'pro', 'https://acme.planapulse.app', 'True', 'True', 'True'] },
    { scenario: 'acme-degraded', want: ['acme', '18', 'pro', 'https://acme.planapulse.app', 'False', 'False', 'False'] },
    { scenario: 'namespaced-ready', want: ['acme', '18', 'pro', 'https://acme.planapulse.app', 'True', 'True', 'True'] },
    { scenario: 'v1', want: ['acme', '18', 'pro', 'https://acme.planapulse.app', 'False', 'False', 'Unknown'] },
  ])('show $scenario as kubectl would', ({ scenario, want }) => {
    const xr = renderedXr(scenario);
    // render.sh leaves the spec out of the rendered XR: kubectl sees the XR's own spec beside
    // the status the function wrote.
    const file = scenario.startsWith('namespaced')
      ? 'examples/namespaced/xr.yaml'
      : scenario.startsWith('v1')
        ? 'examples/v1/xr.yaml'
        : 'examples/xr.yaml';
    const full = { ...xr, spec: (parse(readFileSync(file, 'utf8')) as Obj)['spec'] };
    expect(columns(XRDS[0]!).map((c) => evaluate(c.jsonPath, full))).toEqual(want);
  });
});
