/**
 * The Input CRD (package/) and the README's Input reference, both derived from the one schema in
 * ./schema.ts. scripts/gen-package.ts writes them; test/input-schema.test.ts fails on drift.
 */
import { stringify } from 'yaml';
import { INPUT_API_VERSION, INPUT_KIND, InputSchema } from './schema.js';
import { cell, defaultText, typeName } from '../schema/describe.js';
import { plain, structural, type Node } from '../schema/openapi.js';

const plainInput = (): Node => plain(InputSchema);

export function inputCrd(): Record<string, unknown> {
  const [group, version] = INPUT_API_VERSION.split('/') as [string, string];
  const schema = structural(plainInput());
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

/** The README's Input reference: one row per leaf field, in schema order. */
export function inputReferenceTable(): string {
  const rows: string[] = ['| Field | Type | Default | Description |', '| --- | --- | --- | --- |'];
  const walk = (node: Node, path: string): void => {
    if (node.type === 'object' && node.properties !== undefined) {
      for (const [key, child] of Object.entries(node.properties)) walk(child, path === '' ? key : `${path}.${key}`);
      return;
    }
    rows.push(
      `| \`${path}\` | ${typeName(node as never)} | ${cell(defaultText(node.default, '(required)'))} | ${cell(node.description ?? '')} |`,
    );
    if (node.type === 'array' && node.items?.properties !== undefined) {
      for (const [key, child] of Object.entries(node.items.properties)) {
        rows.push(`| \`${path}[].${key}\` | ${typeName(child as never)} | (required) | ${cell(child.description ?? '')} |`);
      }
    }
  };
  walk(plainInput(), '');
  return rows.join('\n');
}
