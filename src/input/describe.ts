/**
 * Plain-language descriptions of schema nodes: what the Fatal for a bad Input value says is
 * allowed, and what the README's Input reference lists as the type.
 */
import type { TSchema } from '@sinclair/typebox';

interface Node {
  type?: string;
  const?: unknown;
  anyOf?: Node[];
  minimum?: number;
  maximum?: number;
  pattern?: string;
  minLength?: number;
  maxItems?: number;
  items?: Node;
}

/** What a value of this schema must be, phrased to follow "must be". */
export function allowedBy(schema: TSchema): string {
  const node = schema as Node;
  if (node.anyOf !== undefined) return `one of ${node.anyOf.map((n) => String(n.const)).join(', ')}`;
  if (node.const !== undefined) return JSON.stringify(node.const);
  switch (node.type) {
    case 'integer':
      return `an integer from ${node.minimum ?? '-∞'} to ${node.maximum ?? '∞'}`;
    case 'string':
      return node.pattern !== undefined
        ? `a string matching ${node.pattern}`
        : node.minLength !== undefined && node.minLength > 0
          ? 'a non-empty string'
          : 'a string';
    case 'boolean':
      return 'true or false';
    case 'array':
      return `a list of at most ${node.maxItems ?? 'any number of'} items`;
    case 'object':
      return 'an object';
    default:
      return 'a valid value';
  }
}

/** The short type shown in the README's Input reference. */
export function typeName(schema: TSchema): string {
  const node = schema as Node;
  if (node.anyOf !== undefined) return node.anyOf.map((n) => `\`${String(n.const)}\``).join(' \\| ');
  if (node.type === 'array') return `list of ${node.items?.type === 'object' ? 'objects' : `${node.items?.type ?? 'any'}s`}`;
  return node.type ?? 'any';
}
