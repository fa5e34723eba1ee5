/**
 * The PLANAClient XRDs (examples/) and the README's XR and XR status tables, all derived from
 * the one schema in ./schema.ts. scripts/gen-package.ts writes them; test/xr-schema.test.ts
 * fails on drift.
 */
import { Document, isMap, isScalar, visit, type YAMLMap } from 'yaml';
import { cell, defaultText, typeName } from '../schema/describe.js';
import { plain, structural, type Node } from '../schema/openapi.js';
import { PRINTER_COLUMNS, XR_GROUP, XR_KIND, XR_PLURAL, XR_VERSION, XrSpecSchema, XrStatusSchema } from './schema.js';

/** One XRD the examples apply: the setups differ only in API version, scope and claim names. */
export interface XrdVariant {
  readonly file: string;
  /** Why this variant exists, as the file's header comment. */
  readonly about: string;
  readonly apiVersion: 'apiextensions.crossplane.io/v2' | 'apiextensions.crossplane.io/v1';
  /** Crossplane v2 only; a v1 XRD is always cluster-scoped. */
  readonly scope?: 'Cluster' | 'Namespaced';
  /** Crossplane v1 only: the namespaced claim. */
  readonly claimNames?: { readonly kind: string; readonly plural: string };
}

export const XRD_VARIANTS: readonly XrdVariant[] = [
  {
    file: 'examples/xrd.yaml',
    about:
      "The PLANAClient API: one per tenant. Cluster-scoped, because the function composes into several namespaces (the version namespace, backup, crossplane-system). The OpenAPI rules are the function's own structural checks, and for the default Input its reserved subdomains and alias domains, so kubectl rejects bad input early; the function still checks everything itself (src/tenant.ts).",
    apiVersion: 'apiextensions.crossplane.io/v2',
    scope: 'Cluster',
  },
  {
    file: 'examples/namespaced/xrd.yaml',
    about:
      'The PLANAClient API as a namespaced Crossplane v2 XR (PLANA keeps its XRs in crossplane-system). A namespaced XR may compose only into its own namespace, so the function wraps the HTTPRoute, CronJob and Job in namespaced provider-kubernetes Objects there (output.mode Auto); their manifests still target the version, backup and job namespaces.',
    apiVersion: 'apiextensions.crossplane.io/v2',
    scope: 'Namespaced',
  },
  {
    file: 'examples/v1/xrd.yaml',
    about:
      'The PLANAClient API for Crossplane v1: a cluster-scoped XR with a namespaced claim. The Composition sets output.mode: Object, so the objects are wrapped in provider-kubernetes Objects (kubernetes.crossplane.io/v1alpha2).',
    apiVersion: 'apiextensions.crossplane.io/v1',
    claimNames: { kind: `${XR_KIND}Claim`, plural: `${XR_PLURAL.replace(/s$/, '')}claims` },
  },
];

export function xrd(variant: XrdVariant): Record<string, unknown> {
  return {
    apiVersion: variant.apiVersion,
    kind: 'CompositeResourceDefinition',
    metadata: { name: `${XR_PLURAL}.${XR_GROUP}` },
    spec: {
      ...(variant.scope === undefined ? {} : { scope: variant.scope }),
      group: XR_GROUP,
      names: { kind: XR_KIND, plural: XR_PLURAL, categories: ['plana'] },
      ...(variant.claimNames === undefined ? {} : { claimNames: { ...variant.claimNames } }),
      versions: [
        {
          name: XR_VERSION,
          served: true,
          referenceable: true,
          additionalPrinterColumns: PRINTER_COLUMNS.map((c) => ({ ...c })),
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: { spec: structural(plain(XrSpecSchema)), status: structural(plain(XrStatusSchema)) },
            },
          },
        },
      ],
    },
  };
}

/** Comment lines of at most 100 characters. */
function comment(text: string, indent = ''): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && indent.length + 2 + line.length + 1 + word.length > 100) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines.map((l) => ` ${l}`).join('\n');
}

const PRINTER_COLUMNS_NOTE =
  "`kubectl get planaclients`: who, on what, where, and each concern's state. Crossplane appends SYNCED, READY, COMPOSITION and AGE to these (crossplane-runtime xcrd), so READY is not repeated here.";

export function xrdYaml(variant: XrdVariant): string {
  const doc = new Document(xrd(variant), { aliasDuplicateObjects: false });
  doc.commentBefore = `${comment(variant.about)}\n Generated from src/xr/schema.ts by \`npm run gen\`. Do not edit.`;
  const version = doc.getIn(['spec', 'versions', 0]) as YAMLMap;
  const columns = isMap(version) ? version.items.find((p) => isScalar(p.key) && p.key.value === 'additionalPrinterColumns') : undefined;
  if (columns === undefined || !isScalar(columns.key)) throw new Error('the XRD has no additionalPrinterColumns');
  columns.key.commentBefore = comment(PRINTER_COLUMNS_NOTE, '      ');
  // Lists of plain values (categories, required, enums) on one line, as people write XRDs.
  visit(doc, {
    Seq(_, seq) {
      if (seq.items.every(isScalar)) seq.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** One Markdown row per leaf field, in schema order; `cells` gives the cells after the field's (ready to print). */
function rows(schema: Node, prefix: string, cells: (node: Node, required: boolean) => string[]): string[] {
  const out: string[] = [];
  const walk = (node: Node, path: string, required: boolean): void => {
    if (node.type === 'object' && node.properties !== undefined) {
      for (const [key, child] of Object.entries(node.properties)) walk(child, `${path}.${key}`, (node.required ?? []).includes(key));
      return;
    }
    out.push(`| \`${path}\` | ${cells(node, required).join(' | ')} |`);
  };
  walk(schema, prefix, true);
  return out;
}

/** The README's XR table: the spec's fields, what they take and their rules. */
export function xrSpecTable(): string {
  return [
    '| Field | Type | Default | Rule |',
    '| --- | --- | --- | --- |',
    ...rows(plain(XrSpecSchema), 'spec', (node, required) => [
      typeName(node as never),
      cell(defaultText(node.default, required ? '(required)' : '(optional)')),
      cell(node.description ?? ''),
    ]),
  ].join('\n');
}

/** The README's XR status table: the fields the function writes. */
export function xrStatusTable(): string {
  return [
    '| Field | Type | Meaning |',
    '| --- | --- | --- |',
    ...rows(plain(XrStatusSchema), 'status', (node) => [typeName(node as never), cell(node.description ?? '')]),
  ].join('\n');
}
