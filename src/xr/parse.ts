/**
 * The XR spec's structural checks, compiled from src/xr/schema.ts: each field's first problem,
 * as a FieldError naming the field, the value and what is allowed. The rules that depend on the
 * Input are src/tenant.ts's, which asks for the fields in the order its Fatal lists them.
 */
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { TSchema } from '@sinclair/typebox';
import { FieldError } from '../errors.js';
import { isObject, type Obj } from '../obj.js';
import { allowedBy } from '../schema/describe.js';
import { XrSpecSchema, type XrSpec } from './schema.js';

const checker = TypeCompiler.Compile(XrSpecSchema);

export interface CheckedSpec {
  /** The spec as the XR has it, for the fields whose rules depend on the Input. */
  readonly raw: Obj;
  /** The field's value, or its FieldError thrown when the schema refuses it (or a field inside it). */
  field<K extends keyof XrSpec>(key: K): XrSpec[K];
}

/** Checks the XR's spec against the schema. Throws a FieldError at once when it is no object. */
export function checkSpec(spec: unknown): CheckedSpec {
  if (!isObject(spec)) throw new FieldError('spec', spec, allowedBy(XrSpecSchema));
  const problems = new Map<string, FieldError>();
  if (!checker.Check(spec)) {
    for (const error of checker.Errors(spec)) {
      const path = error.path.split('/').slice(1);
      const key = path[0];
      if (key === undefined || problems.has(key)) continue;
      problems.set(key, new FieldError(fieldOf(path), error.value, allowedBy(schemaAt(path))));
    }
  }
  return {
    raw: spec,
    field<K extends keyof XrSpec>(key: K): XrSpec[K] {
      const problem = problems.get(key);
      if (problem !== undefined) throw problem;
      return spec[key] as XrSpec[K];
    },
  };
}

/** `spec.backup.suspend`, `spec.aliasDomains[0]`: the field as the Fatal names it. */
const fieldOf = (path: readonly string[]): string => `spec${path.map((key) => (/^[0-9]+$/.test(key) ? `[${key}]` : `.${key}`)).join('')}`;

/** The schema node of a field below spec. */
function schemaAt(path: readonly string[]): TSchema {
  return path.reduce<TSchema>((node, key) => {
    const n = node as { properties?: Record<string, TSchema>; items?: TSchema };
    return (/^[0-9]+$/.test(key) ? n.items : n.properties?.[key]) ?? node;
  }, XrSpecSchema);
}
