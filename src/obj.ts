/** Plain-object helpers for the untyped structs Crossplane sends (protobuf Struct as JSON). */

export type Obj = Record<string, unknown>;

/** A JSON object: not null, not a list. */
export const isObject = (value: unknown): value is Obj => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Freezes a value and everything in it, so any later mutation throws in strict mode. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
