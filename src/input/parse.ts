/**
 * Input boundary: the raw `input:` struct of the pipeline step becomes a frozen, defaulted,
 * validated `Input`, or a FieldError naming the Input field.
 */
import { TypeCompiler, ValueErrorType } from '@sinclair/typebox/compiler';
import type { TSchema } from '@sinclair/typebox';
import { FieldError } from '../errors.js';
import { deepFreeze } from '../obj.js';
import { allowedBy } from '../schema/describe.js';
import { INPUT_API_VERSION, INPUT_KIND, InputSchema, type Input } from './schema.js';

const checker = TypeCompiler.Compile(InputSchema);

// A Composition sends the same Input on every call: parse each distinct Input once.
// Bounded, so a stream of distinct hostile Inputs cannot grow memory.
const cache = new Map<string, Input>();
const CACHE_LIMIT = 32;

/** Parses the step's Input. A missing Input means PLANA's defaults. Throws FieldError. */
export function parseInput(raw: Record<string, unknown> | undefined): Input {
  const source = raw ?? { apiVersion: INPUT_API_VERSION, kind: INPUT_KIND };
  const key = JSON.stringify(source);
  const hit = cache.get(key);
  if (hit !== undefined) return hit;

  const input = parseUncached(source);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, input);
  return input;
}

function parseUncached(source: Record<string, unknown>): Input {
  const withDefaults = withDefaultsOf(InputSchema, source);
  if (!checker.Check(withDefaults)) {
    const first = checker.Errors(withDefaults).First();
    // Check failed, so there is always a first error; the fallback keeps the types honest.
    if (first === undefined) throw new FieldError('input', source, 'a valid Input');
    const field = pointerToField(first.path);
    // An unknown key is reported on the key's own path, with the enclosing object's schema.
    const properties = (first.schema as { properties?: Record<string, unknown> }).properties;
    const key = first.path.split('/').pop() ?? '';
    if (first.type === ValueErrorType.ObjectAdditionalProperties && properties !== undefined) {
      const parent = field.slice(0, field.length - key.length - 1);
      throw new FieldError(field, first.value, `absent: ${parent} has no such field (known: ${Object.keys(properties).join(', ')})`);
    }
    throw new FieldError(field, first.value, allowedBy(first.schema));
  }
  const input = withDefaults;
  checkRelations(input);
  return deepFreeze(input);
}

/**
 * A copy of `value` with every missing field set to its schema default. Only absent fields get a
 * default: a value of the wrong type is kept, so validation reports it instead of silently
 * replacing it (TypeBox's Value.Default replaces a non-object where an object belongs).
 */
function withDefaultsOf(schema: TSchema, value: unknown): unknown {
  const node = schema as { default?: unknown; properties?: Record<string, TSchema>; items?: TSchema };
  if (value === undefined) return node.default === undefined ? undefined : withDefaultsOf(schema, structuredClone(node.default));
  if (node.properties !== undefined && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const [key, child] of Object.entries(node.properties)) {
      const filled = withDefaultsOf(child, out[key]);
      if (filled !== undefined) out[key] = filled;
    }
    return out;
  }
  if (node.items !== undefined && Array.isArray(value)) return value.map((item: unknown) => withDefaultsOf(node.items as TSchema, item));
  return value;
}

/** Rules that span fields, which a JSON schema cannot say. */
function checkRelations(input: Input): void {
  const domains = input.gateway.listeners.map((l) => l.domain);
  const duplicateDomain = domains.find((d, i) => domains.indexOf(d) !== i);
  if (duplicateDomain !== undefined) {
    throw new FieldError('input.gateway.listeners', duplicateDomain, 'a list in which each domain appears once');
  }
  if (!domains.includes(input.gateway.primaryDomain)) {
    throw new FieldError('input.gateway.primaryDomain', input.gateway.primaryDomain, `one of the listener domains (${domains.join(', ')})`);
  }
  const versions = input.odoo.versions.map((v) => v.version);
  const duplicateVersion = versions.find((v, i) => versions.indexOf(v) !== i);
  if (duplicateVersion !== undefined) {
    throw new FieldError('input.odoo.versions', duplicateVersion, 'a list in which each version appears once');
  }
  if (!versions.includes(input.odoo.defaultVersion)) {
    throw new FieldError('input.odoo.defaultVersion', input.odoo.defaultVersion, `one of the configured versions (${versions.join(', ')})`);
  }
  if (input.odoo.httpPort === input.odoo.websocketPort) {
    throw new FieldError('input.odoo.websocketPort', input.odoo.websocketPort, 'a port other than input.odoo.httpPort');
  }
  if (input.backup.encryption === 'None' && input.backup.ageRecipients.length > 0) {
    throw new FieldError(
      'input.backup.ageRecipients',
      input.backup.ageRecipients,
      'empty when input.backup.encryption is None (or set encryption: Age)',
    );
  }
  if (!isKnownTimeZone(input.backup.timeZone)) {
    throw new FieldError('input.backup.timeZone', input.backup.timeZone, 'an IANA time zone name such as Europe/Sofia');
  }
}

function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function pointerToField(pointer: string): string {
  if (pointer === '') return 'input';
  return `input${pointer
    .split('/')
    .slice(1)
    .map((part) => (/^[0-9]+$/.test(part) ? `[${part}]` : `.${part.replace(/~1/g, '/').replace(/~0/g, '~')}`))
    .join('')}`;
}
