/** package/crossplane.yaml says who the package is, as a package index shows it (issue 13). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Obj } from './support.js';

const meta = parseAllDocuments(readFileSync('package/crossplane.yaml', 'utf8'))[0]!.toJS() as Obj;
const at = (o: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o);

describe('the package metadata', () => {
  it('says who it is, as a package index shows it', () => {
    const annotations = at(meta, 'metadata', 'annotations') as Record<string, string>;
    expect(Object.keys(annotations).sort()).toEqual([
      'meta.crossplane.io/description',
      'meta.crossplane.io/license',
      'meta.crossplane.io/maintainer',
      'meta.crossplane.io/readme',
      'meta.crossplane.io/source',
    ]);
    for (const v of Object.values(annotations)) expect(v.trim()).not.toBe('');
    expect(annotations['meta.crossplane.io/license']).toBe(
      (JSON.parse(readFileSync('package.json', 'utf8')) as { license: string }).license,
    );
    expect(annotations['meta.crossplane.io/source']).toBe('https://git.planapulse.com/plana-pulse/function-plana-tenant');
    expect(annotations['meta.crossplane.io/readme']).toContain(annotations['meta.crossplane.io/source']);
  });
});
