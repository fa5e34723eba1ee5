/**
 * A TypeBox schema as a Kubernetes structural schema (OpenAPI v3 as CRDs and XRDs take it),
 * for the Input CRD (src/input/crd.ts) and the XRDs (src/xr/xrd.ts).
 */
import type { TSchema } from '@sinclair/typebox';

export type Node = Record<string, unknown> & {
  type?: string;
  description?: string;
  default?: unknown;
  properties?: Record<string, Node>;
  items?: Node;
  anyOf?: Node[];
  const?: unknown;
  required?: string[];
};

/** The schema as plain JSON (TypeBox keeps its bookkeeping in symbols, which JSON drops). */
export const plain = (schema: TSchema): Node => JSON.parse(JSON.stringify(schema)) as Node;

/** The OpenAPI keywords copied as they are, in this order (then any x-kubernetes-* extension). */
const KEYWORDS = ['description', 'default', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'minItems', 'maxItems', 'format'];

/** TypeBox's JSON Schema as a Kubernetes structural schema. */
export function structural(node: Node): Node {
  const out: Node = {};
  if (node.anyOf !== undefined) {
    out.type = 'string';
    out['enum'] = node.anyOf.map((n) => n.const);
  } else if (node.const !== undefined) {
    out.type = 'string';
    out['enum'] = [node.const];
  } else if (node.type !== undefined) {
    out.type = node.type;
  }
  for (const key of KEYWORDS) {
    // JavaScript's bound on an integer (past it a JSON number loses precision in the function)
    // is the function's own rule, not the API server's, which stores int64.
    if (key === 'maximum' && node[key] === Number.MAX_SAFE_INTEGER) continue;
    if (node[key] !== undefined) out[key] = node[key];
  }
  for (const key of Object.keys(node)) if (key.startsWith('x-kubernetes-')) out[key] = node[key];
  if (node.items !== undefined) out.items = structural(node.items);
  if (node.properties !== undefined) {
    out.properties = Object.fromEntries(Object.entries(node.properties).map(([k, v]) => [k, structural(v)]));
    // Fields with a default are optional to the user; TypeBox lists every non-Optional field.
    const required = (node.required ?? []).filter((k) => node.properties?.[k]?.default === undefined);
    if (required.length > 0) out.required = required;
  }
  return out;
}
