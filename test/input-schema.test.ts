/** One Input schema, four outputs: the generated CRD and README table must match the schema. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { inputCrd, inputCrdYaml, inputReferenceTable } from '../src/input/crd.js';
import { parseInput } from '../src/input/parse.js';
import { InputSchema } from '../src/input/schema.js';
import { BEGIN, CRD_PATH, END, README_PATH, withReference } from '../scripts/gen-package.js';

describe('the Input schema and what derives from it', () => {
  it('package/ holds the CRD generated from the schema (run `npm run gen` after changing it)', () => {
    expect(readFileSync(CRD_PATH, 'utf8')).toBe(inputCrdYaml());
  });

  it('README.md holds the reference table generated from the schema (run `npm run gen`)', () => {
    const readme = readFileSync(README_PATH, 'utf8');
    expect(readme).toContain(BEGIN);
    expect(readme).toContain(END);
    expect(withReference(readme)).toBe(readme);
  });

  it('lists every leaf field of the schema in the README table', () => {
    const table = inputReferenceTable();
    for (const field of [
      'gateway.readiness',
      'odoo.versions[].filestoreClaim',
      'backup.ageRecipientsConfigMap.key',
      'filestoreJob.resources.limits.memory',
      'ttl.steadySeconds',
    ]) {
      expect(table).toContain(`| \`${field}\` |`);
    }
  });

  it("the CRD's defaults are the defaults the validator applies", () => {
    const crd = inputCrd() as {
      spec: {
        versions: Array<{
          schema: { openAPIV3Schema: { properties: Record<string, { properties?: Record<string, { default?: unknown }> }> } };
        }>;
      };
    };
    const props = crd.spec.versions[0]!.schema.openAPIV3Schema.properties;
    const applied = parseInput(undefined) as unknown as Record<string, Record<string, unknown>>;
    for (const section of ['gateway', 'odoo', 'database', 'backup', 'filestoreJob', 'ttl']) {
      for (const [key, node] of Object.entries(props[section]!.properties ?? {})) {
        if (node.default !== undefined && typeof node.default !== 'object')
          expect([section, key, applied[section]![key]]).toEqual([section, key, node.default]);
      }
    }
  });

  it('the CRD is a structural schema: no TypeBox-only keywords', () => {
    const text = JSON.stringify(inputCrd());
    for (const keyword of ['"anyOf"', '"const"', '"additionalProperties"', '"$id"']) expect(text).not.toContain(keyword);
    expect(JSON.stringify(InputSchema)).toContain('"additionalProperties":false');
  });

  it('the CRD in package/ parses as one CustomResourceDefinition', () => {
    const doc = parse(readFileSync(CRD_PATH, 'utf8')) as { kind: string; metadata: { name: string } };
    expect(doc.kind).toBe('CustomResourceDefinition');
    expect(doc.metadata.name).toBe('inputs.tenant.fn.planapulse.com');
  });
});
