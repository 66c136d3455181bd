/**
 * Plain-text tables for people: a key/value table of any JSON answer (nested fields as
 * dotted paths), a column table for audit records, and the sweep's one-line progress.
 */

/** `{a: {b: 1}, c: [x, y]}` → rows `a.b = 1`, `c.0 = x`, `c.1 = y`; empty objects are skipped. */
export const flatten = (value: unknown, prefix = ""): [string, string][] => {
  if (value === null || value === undefined) return prefix ? [[prefix, String(value)]] : [];
  if (typeof value !== "object") return [[prefix || "value", String(value)]];
  const entries = Array.isArray(value)
    ? value.map((item, i) => [String(i), item] as const)
    : Object.entries(value);
  return entries.flatMap(([key, item]) => flatten(item, prefix ? `${prefix}.${key}` : key));
};

/** Two aligned columns. */
export const keyValueTable = (rows: readonly (readonly [string, string])[]): string => {
  const width = Math.max(0, ...rows.map(([key]) => key.length));
  return rows.map(([key, value]) => `  ${key.padEnd(width)}  ${value}`).join("\n");
};

const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Aligned columns with a header row; cells are clipped to `maxCell` characters. */
export const columnTable = (
  header: readonly string[],
  rows: readonly (readonly string[])[],
  maxCell = 48,
): string => {
  const all = [header, ...rows].map((row) => row.map((cell) => clip(cell.replace(/\s+/g, " "), maxCell)));
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i]?.length ?? 0)));
  return all
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
};

const text = (value: unknown): string => (value === undefined || value === null ? "" : String(value));

/** One audit record as table cells: when, outcome, trigger, actor, reason, detail, upstream, key. */
export const auditRow = (item: unknown): string[] => {
  const r = (typeof item === "object" && item !== null ? item : {}) as Record<string, unknown>;
  const upstream = (typeof r.upstream === "object" && r.upstream !== null ? r.upstream : {}) as Record<
    string,
    unknown
  >;
  const upstreamText = [upstream.httpStatus, upstream.code].filter((part) => part !== undefined).join(" ");
  return [
    text(r.at),
    text(r.outcome),
    // A record the continuation wrote keeps the request's trigger; say who wrote it.
    r.via === undefined ? text(r.trigger) : `${text(r.trigger)} (via ${text(r.via)})`,
    text(r.actor),
    text(r.reason),
    text(r.detail),
    upstreamText,
    text(r.idempotencyKey),
  ];
};

export const AUDIT_HEADER = [
  "AT",
  "OUTCOME",
  "TRIGGER",
  "ACTOR",
  "REASON",
  "DETAIL",
  "UPSTREAM",
  "IDEMPOTENCY KEY",
] as const;

/** The sweep's progress in one line: its counters, whatever the handler reports. */
export const progressLine = (progress: unknown): string => {
  const p = (typeof progress === "object" && progress !== null ? progress : {}) as Record<string, unknown>;
  const counters = ["scanned", "wouldCancel", "cancelled", "pending", "skipped", "failed"]
    .filter((key) => typeof p[key] === "number" && !(key === "wouldCancel" && p.dryRun !== true))
    .map((key) => `${key === "wouldCancel" ? "would cancel" : key} ${p[key]}`);
  return `sweep${p.dryRun === true ? " (dry run)" : ""}: ${counters.length > 0 ? counters.join(" · ") : JSON.stringify(progress)}`;
};
