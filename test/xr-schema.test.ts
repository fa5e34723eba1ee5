/**
 * One XR schema (src/xr/schema.ts), several outputs: the three XRDs in examples/ and the README's
 * XR and XR status tables must be what the schema generates, and the status the function writes
 * (in every render golden) must be what the schema says.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { FormatRegistry } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { FieldError } from '../src/errors.js';
import { InputSchema } from '../src/input/schema.js';
import { checkSpec } from '../src/xr/parse.js';
import { XrSpecSchema, XrStatusSchema } from '../src/xr/schema.js';
import { XRD_VARIANTS, xrd, xrdYaml, xrSpecTable, xrStatusTable } from '../src/xr/xrd.js';
import { README_PATH, XR_BLOCK, XR_STATUS_BLOCK, withBlock, withGenerated } from '../scripts/gen-package.js';
import type { Obj } from './support.js';

type Schema = { properties: Record<string, Obj & { properties?: Record<string, Obj>; items?: Obj }>; required?: string[] };
const openApi = (file: string) =>
  (
    parse(readFileSync(file, 'utf8')) as {
      spec: { versions: Array<{ schema: { openAPIV3Schema: { properties: { spec: Schema; status: Schema } } } }> };
    }
  ).spec.versions[0]!.schema.openAPIV3Schema.properties;

/** A copy of `o` without `key`. */
const without = (o: Obj, key: string): Obj => Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));

describe('the XR schema and what derives from it', () => {
  it.each(XRD_VARIANTS.map((v) => ({ file: v.file, variant: v })))(
    '$file is the XRD generated from the schema (run `npm run gen` after changing it)',
    ({ file, variant }) => {
      expect(readFileSync(file, 'utf8')).toBe(xrdYaml(variant));
    },
  );

  it('README.md holds the XR and XR status tables generated from the schema (run `npm run gen`)', () => {
    const readme = readFileSync(README_PATH, 'utf8');
    for (const block of [XR_BLOCK, XR_STATUS_BLOCK]) {
      expect(readme).toContain(block.begin);
      expect(withBlock(readme, block)).toBe(readme);
    }
    expect(withGenerated(readme)).toBe(readme);
  });

  it('lists every spec and status field in the README tables', () => {
    for (const field of ['subdomain', 'projectId', 'tier', 'odooVersion', 'ownerEmail', 'ownerName', 'aliasDomains', 'backup.suspend']) {
      expect(xrSpecTable()).toContain(`| \`spec.${field}\` |`);
    }
    for (const field of [
      'hostnames',
      'url',
      'database',
      'namespace',
      'filestorePath',
      'backup.schedule',
      'backup.startTime',
      'backup.timeZone',
      'backup.location',
      'backup.retentionDays',
      'backup.encryption',
      'backup.suspended',
      'backup.lastSuccessfulTime',
    ]) {
      expect(xrStatusTable()).toContain(`| \`status.${field}\` |`);
    }
  });

  it('the three XRDs differ only in API version, scope and claim names', () => {
    const [cluster, namespaced, v1] = XRD_VARIANTS.map((v) => xrd(v) as { apiVersion: string; spec: Obj });
    expect([cluster!.apiVersion, cluster!.spec['scope'], cluster!.spec['claimNames']]).toEqual([
      'apiextensions.crossplane.io/v2',
      'Cluster',
      undefined,
    ]);
    expect([namespaced!.apiVersion, namespaced!.spec['scope'], namespaced!.spec['claimNames']]).toEqual([
      'apiextensions.crossplane.io/v2',
      'Namespaced',
      undefined,
    ]);
    expect([v1!.apiVersion, v1!.spec['scope'], v1!.spec['claimNames']]).toEqual([
      'apiextensions.crossplane.io/v1',
      undefined,
      { kind: 'PLANAClientClaim', plural: 'planaclientclaims' },
    ]);
    const clusterSpec = without(cluster!.spec, 'scope');
    expect(without(namespaced!.spec, 'scope')).toEqual(clusterSpec);
    expect(without(v1!.spec, 'claimNames')).toEqual(clusterSpec);
  });

  it("the XRD states the default Input's reserved subdomains, alias domains and default version", () => {
    const { spec } = openApi('examples/xrd.yaml');
    const tenants = InputSchema.properties.tenants.properties;
    expect(spec.properties['subdomain']!['x-kubernetes-validations']).toEqual([
      { rule: 'self == oldSelf', message: 'subdomain is immutable' },
      {
        rule: `!(self in [${(tenants.reservedSubdomains.default as string[]).map((s) => `'${s}'`).join(', ')}])`,
        message: 'subdomain is reserved for the platform',
      },
    ]);
    expect(spec.properties['subdomain']!['x-kubernetes-validations']).toContainEqual({
      rule: "!(self in ['www', 'my', 'api', 'auth', 'git', 'mail', 'matrix', 'chat', 'admin', 'docs', 'erp', 'status'])",
      message: 'subdomain is reserved for the platform',
    });
    expect(spec.properties['aliasDomains']!.items).toEqual({ type: 'string', enum: ['planapulse.online', 'planapulse.dev'] });
    expect(spec.properties['odooVersion']!['default']).toBe('18');
    expect(spec.required).toEqual(['subdomain', 'projectId', 'tier']);
    // The safe-integer bound is the function's (JSON numbers), not the API server's.
    expect(spec.properties['projectId']).toMatchObject({ type: 'integer', minimum: 1 });
    expect(spec.properties['projectId']!['maximum']).toBeUndefined();
  });

  it('the XRDs are structural schemas: no TypeBox-only keywords and no Fatal phrasing', () => {
    for (const v of XRD_VARIANTS) {
      const text = JSON.stringify(xrd(v));
      for (const keyword of ['"anyOf"', '"const"', '"additionalProperties"', '"allowed"', '"$id"']) expect(text).not.toContain(keyword);
    }
  });
});

describe('the compiled spec checks', () => {
  const problem = (spec: unknown, key: 'subdomain' | 'projectId' | 'tier' | 'ownerEmail' | 'backup'): string => {
    try {
      checkSpec(spec).field(key);
    } catch (err) {
      if (err instanceof FieldError) return err.message;
      throw err;
    }
    return 'accepted';
  };

  it('accept every example XR', () => {
    for (const file of [
      'examples/xr.yaml',
      'examples/xr-enterprise.yaml',
      'examples/xr-upgrade-v19.yaml',
      'examples/xr-v19-alias.yaml',
      'examples/namespaced/xr.yaml',
      'examples/v1/xr.yaml',
      'examples/v1/xr-claim.yaml',
    ]) {
      const spec = (parse(readFileSync(file, 'utf8')) as Obj)['spec'];
      expect([file, TypeCompiler.Compile(XrSpecSchema).Check(spec)]).toEqual([file, true]);
    }
  });

  it("name the field, the value and the schema's phrase of what is allowed", () => {
    expect(problem({ projectId: 2 ** 53 }, 'projectId')).toBe(
      'spec.projectId: 9007199254740992 is not allowed: must be a positive integer',
    );
    expect(problem({ tier: 5 }, 'tier')).toBe('spec.tier: 5 is not allowed: must be one of starter, pro, enterprise');
    expect(problem({}, 'tier')).toBe('spec.tier: is required and must be one of starter, pro, enterprise');
    expect(problem({ backup: [] }, 'backup')).toBe('spec.backup: a list of 0 is not allowed: must be an object');
    expect(problem({ ownerEmail: null }, 'ownerEmail')).toBe('spec.ownerEmail: null is not allowed: must be a string');
    expect(problem({ subdomain: 'acme' }, 'subdomain')).toBe('accepted');
    expect(() => checkSpec('acme')).toThrow('spec: "acme" is not allowed: must be an object with subdomain, projectId and tier');
  });
});

describe('the status the function writes', () => {
  FormatRegistry.Set('date-time', (v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(v));
  const status = TypeCompiler.Compile(XrStatusSchema);

  /** Every field of `value` the schema does not name (a status field the XRD would prune). */
  const unknown = (value: unknown, schema: Obj, path: string): string[] => {
    const properties = schema['properties'] as Record<string, Obj> | undefined;
    if (properties === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) return [];
    return Object.entries(value as Obj).flatMap(([k, v]) =>
      properties[k] === undefined ? [`${path}.${k}`] : unknown(v, properties[k], `${path}.${k}`),
    );
  };

  const xrOf = (file: string): Obj | undefined =>
    parseAllDocuments(readFileSync(`examples/rendered/${file}`, 'utf8'))[0]?.toJS() as Obj | undefined;
  // A scenario that ends in a Fatal renders no XR, only the message.
  const goldens = readdirSync('examples/rendered').filter((f) => f.endsWith('.yaml') && xrOf(f) !== undefined);
  expect(goldens.length).toBeGreaterThanOrEqual(10);
  it.each(goldens)('%s: the XR status is what the schema says, and names no field the schema lacks', (file) => {
    const xr = xrOf(file)!;
    // Crossplane writes the conditions; the function writes the rest.
    const written = without(xr['status'] as Obj, 'conditions');
    expect(Object.keys(written)).toContain('backup');
    expect([...status.Errors(written)].map((e) => `${e.path}: ${e.message}`)).toEqual([]);
    expect(unknown(written, XrStatusSchema as unknown as Obj, 'status')).toEqual([]);
  });

  it('the goldens cover every status field', () => {
    const seen = new Set<string>();
    const walk = (v: unknown, path: string): void => {
      seen.add(path);
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) for (const [k, c] of Object.entries(v as Obj)) walk(c, `${path}.${k}`);
    };
    for (const file of goldens) walk(xrOf(file)!['status'], 'status');
    for (const [k, node] of Object.entries(XrStatusSchema.properties)) {
      expect(seen).toContain(`status.${k}`);
      for (const child of Object.keys((node as { properties?: Obj }).properties ?? {})) expect(seen).toContain(`status.${k}.${child}`);
    }
  });
});
