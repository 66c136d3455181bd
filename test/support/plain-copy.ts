/**
 * A deep copy of a stored value, as a store keeps it apart from the caller's object: plain
 * objects, arrays, strings, numbers, booleans, null and undefined. The in-memory stores
 * copy every record they keep; with structuredClone those copies were 7% of the CPU the
 * cpu-per-cancel bench charged to the handler (its profile, 2026-12-06). Anything else (a
 * Date, a Map, a class instance) is no stored value: copied by structuredClone, as before.
 */
export const plainCopy = <T>(value: T): T => copy(value) as T;

const copy = (value: unknown): unknown => {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(copy);
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return structuredClone(value);
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(value)) result[key] = copy((value as Record<string, unknown>)[key]);
  return result;
};
