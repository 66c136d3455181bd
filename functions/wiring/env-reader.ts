/**
 * How config.ts reads a variable: each reader checks one kind of value (an integer in a range,
 * a fraction, a boolean, a duration) and, when it is malformed, records a problem that names
 * the variable (never its value) instead of stopping, so one start-up error names them all.
 */

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90m`, `24h`, `2d`, `500ms`, or a bare number of milliseconds. */
export const parseDuration = (text: string): number | undefined => {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match?.[1]) return undefined;
  return Number(match[1]) * (UNITS[match[2] ?? "ms"] ?? 1);
};

/** Reads variables, collecting every problem (named, never with its value) instead of stopping at the first. */
export const envReader = (env: Record<string, string | undefined>, problems: string[]) => ({
  required: (name: string): string => {
    const value = env[name]?.trim();
    if (!value) problems.push(`${name} is missing`);
    return value ?? "";
  },
  integer: (name: string, fallback: number, min: number, max: number, whyMax?: string): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      const why = whyMax !== undefined && value > max ? ` (a larger limit is ${whyMax})` : "";
      problems.push(`${name} must be an integer from ${min} to ${max}${why}`);
    }
    return value;
  },
  fraction: (name: string, fallback: number): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0 || value > 1) {
      problems.push(`${name} must be a number greater than 0 and at most 1`);
    }
    return value;
  },
  boolean: (name: string): boolean => {
    const raw = env[name]?.trim().toLowerCase();
    if (raw === undefined || raw === "" || raw === "false" || raw === "0") return false;
    if (raw === "true" || raw === "1") return true;
    problems.push(`${name} must be true or false`);
    return false;
  },
  duration: (name: string, fallback: string): number => {
    const value = parseDuration(env[name]?.trim() || fallback);
    if (value === undefined || value <= 0) {
      problems.push(`${name} must be a positive duration such as 24h, 90m, 30s or 2d`);
      return 0;
    }
    return value;
  },
});
