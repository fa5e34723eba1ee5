/**
 * Plain-language descriptions of schema nodes, shared by the Input and the XR: what the Fatal
 * for a bad value says is allowed, and what the README's reference tables list.
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
  /** A schema's own phrasing of what is allowed, where the generic one would read worse. */
  allowed?: string;
}

/** What a value of this schema must be, phrased to follow "must be". */
export function allowedBy(schema: TSchema): string {
  const node = schema as Node;
  if (node.allowed !== undefined) return node.allowed;
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

/** The short type shown in the README's reference tables. */
export function typeName(schema: TSchema): string {
  const node = schema as Node;
  if (node.anyOf !== undefined) return node.anyOf.map((n) => `\`${String(n.const)}\``).join(' \\| ');
  if (node.type === 'array') {
    const items = node.items;
    if (items?.anyOf !== undefined) return `list of ${typeName(items as TSchema)}`;
    return `list of ${items?.type === 'object' ? 'objects' : `${items?.type ?? 'any'}s`}`;
  }
  return node.type ?? 'any';
}

/** Text made safe for one cell of a Markdown table. */
export const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A default as the reference tables show it; `absent` when there is none. */
export function defaultText(value: unknown, absent: string): string {
  if (value === undefined) return absent;
  if (Array.isArray(value) && value.length === 0) return '`[]`';
  if (value === '') return '`""`';
  if (typeof value === 'string' || typeof value === 'number') return `\`${value}\``;
  return `\`${JSON.stringify(value)}\``;
}
