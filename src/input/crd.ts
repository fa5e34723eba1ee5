/**
 * The Input CRD (package/) and the README's Input reference, both derived from the one schema in
 * ./schema.ts. scripts/gen-package.ts writes them; test/input-schema.test.ts fails on drift.
 */
import { stringify } from 'yaml';
import { INPUT_API_VERSION, INPUT_KIND, InputSchema } from './schema.js';
import { typeName } from './describe.js';

type Node = Record<string, unknown> & {
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
const plain = (): Node => JSON.parse(JSON.stringify(InputSchema)) as Node;

/** TypeBox's JSON Schema as a Kubernetes structural schema. */
function structural(node: Node): Node {
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
  for (const key of ['description', 'default', 'pattern', 'minLength', 'minimum', 'maximum', 'minItems', 'maxItems']) {
    if (node[key] !== undefined) out[key] = node[key];
  }
  if (node.items !== undefined) out.items = structural(node.items);
  if (node.properties !== undefined) {
    out.properties = Object.fromEntries(Object.entries(node.properties).map(([k, v]) => [k, structural(v)]));
    // Fields with a default are optional to the user; TypeBox lists every non-Optional field.
    const required = (node.required ?? []).filter((k) => node.properties?.[k]?.default === undefined);
    if (required.length > 0) out.required = required;
  }
  return out;
}

export function inputCrd(): Record<string, unknown> {
  const [group, version] = INPUT_API_VERSION.split('/') as [string, string];
  const schema = structural(plain());
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `inputs.${group}` },
    spec: {
      group,
      names: { categories: ['crossplane'], kind: INPUT_KIND, listKind: `${INPUT_KIND}List`, plural: 'inputs', singular: 'input' },
      scope: 'Namespaced',
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              ...schema,
              properties: { ...schema.properties, metadata: { type: 'object' } },
            },
          },
        },
      ],
    },
  };
}

export function inputCrdYaml(): string {
  return `# Generated from src/input/schema.ts by \`npm run gen\`. Do not edit.\n---\n${stringify(inputCrd(), { lineWidth: 0, aliasDuplicateObjects: false })}`;
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function defaultText(value: unknown): string {
  if (value === undefined) return '(required)';
  if (Array.isArray(value) && value.length === 0) return '`[]`';
  if (value === '') return '`""`';
  if (typeof value === 'string' || typeof value === 'number') return `\`${value}\``;
  return `\`${JSON.stringify(value)}\``;
}

/** The README's Input reference: one row per leaf field, in schema order. */
export function inputReferenceTable(): string {
  const rows: string[] = ['| Field | Type | Default | Description |', '| --- | --- | --- | --- |'];
  const walk = (node: Node, path: string): void => {
    if (node.type === 'object' && node.properties !== undefined) {
      for (const [key, child] of Object.entries(node.properties)) walk(child, path === '' ? key : `${path}.${key}`);
      return;
    }
    rows.push(`| \`${path}\` | ${typeName(node as never)} | ${cell(defaultText(node.default))} | ${cell(node.description ?? '')} |`);
    if (node.type === 'array' && node.items?.properties !== undefined) {
      for (const [key, child] of Object.entries(node.items.properties)) {
        rows.push(`| \`${path}[].${key}\` | ${typeName(child as never)} | (required) | ${cell(child.description ?? '')} |`);
      }
    }
  };
  walk(plain(), '');
  return rows.join('\n');
}
