/**
 * Values that cross into protobuf Structs. The SDK's Struct conversion turns `undefined` inside
 * a list into an empty Value, writes NaN and Infinity as numbers JSON cannot carry, and flattens
 * a Date to `{}` (../shared/TOOLCHAIN.md). Everything this function composes passes through
 * `jsonSafe` once, so none of that can reach Crossplane.
 */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export class UnsafeValueError extends Error {
  override readonly name = 'UnsafeValueError';
  constructor(path: string, what: string) {
    super(`${path}: ${what} cannot be sent to Crossplane`);
  }
}

/** A deep copy fit for a protobuf Struct: undefined fields dropped, anything else unsafe rejected. */
export function jsonSafe(value: unknown, path = '$'): Json {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new UnsafeValueError(path, String(value));
    return value;
  }
  if (Array.isArray(value)) {
    return value.map((item, i) => {
      if (item === undefined) throw new UnsafeValueError(`${path}[${i}]`, 'undefined');
      return jsonSafe(item, `${path}[${i}]`);
    });
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) throw new UnsafeValueError(path, `a ${(value as object).constructor.name}`);
    const out: { [key: string]: Json } = {};
    for (const [key, child] of Object.entries(value)) {
      if (child !== undefined) out[key] = jsonSafe(child, `${path}.${key}`);
    }
    return out;
  }
  throw new UnsafeValueError(path, `a ${typeof value}`);
}
