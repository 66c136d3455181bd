/**
 * Plain-text tables for people: a key/value table of any JSON answer (nested fields as
 * dotted paths), a column table for audit records, and the sweep's one-line progress.
 *
 * Everything cancelctl prints of the service's answers, the queues' messages or the
 * stack's outputs is text from outside (a caller's reason, an upstream's message, a proxy's
 * error page), so it is escaped before it reaches the terminal: no character of it can
 * move the cursor, ring, clear the screen, start an escape sequence or break a line. A
 * value printed in a table always stays on its row, so a caller's text never looks like a
 * field of ours.
 */

/**
 * What must never reach a terminal as it is: the C0 controls (ESC, BEL, CR, LF, TAB…), DEL,
 * the C1 controls (CSI U+009B among them), the Unicode line and paragraph separators, the
 * bidirectional formatting characters (they reorder what is shown), and lone surrogates.
 */
const UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|\p{Cs}/gu;
/** What `JSON.stringify` leaves raw in a string: UNSAFE without the C0 controls and lone surrogates. */
const LEFT_RAW_BY_JSON = /[\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const SHORT_ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

const escapeCharacter = (char: string): string => {
  const short = SHORT_ESCAPES[char];
  if (short !== undefined) return short;
  const code = char.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
};

/**
 * Text from outside as one safe line: a backslash is doubled and every unsafe character is
 * written as an escape (`\n`, `\x1b`, `\u2028`), so what is printed reads back unambiguously.
 */
export const terminalSafe = (text: string): string =>
  text.replaceAll("\\", "\\\\").replace(UNSAFE, escapeCharacter);

/**
 * A table value: as it is when it is plain, else quoted (a JSON-like string) when it had to
 * be escaped, has spaces at either end or starts with a quote, so where it starts and ends
 * is never in doubt.
 */
export const tableValue = (text: string): string => {
  const safe = terminalSafe(text);
  const plain = safe === text && text.trim() === text && !text.startsWith('"');
  return plain ? text : `"${safe.replaceAll('"', '\\"')}"`;
};

/**
 * JSON for `--json`: `JSON.stringify` escapes C0 controls in strings but leaves DEL, C1, the
 * line separators and the bidirectional controls as they are; they are written as `\uXXXX`
 * (the same JSON value).
 */
export const jsonText = (value: unknown): string =>
  JSON.stringify(value, null, 2).replace(
    LEFT_RAW_BY_JSON,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );

/** UNSAFE, but for the line breaks cancelctl writes itself (LF, and CR LF in the CSV). */
const UNSAFE_OUTSIDE_LINE_BREAKS = new RegExp(`(?!\\r\\n|\\n)(?:${UNSAFE.source})`, "gu");

/**
 * The last line of defence, on everything cancelctl writes: any unsafe character a command
 * did not escape is escaped here. Line breaks are ours (text was escaped before; the CSV
 * ends its lines with CR LF), and so is the carriage return and erase-line that redraws a
 * progress line at the start of a chunk.
 */
export const safeOutput = (chunk: string): string => {
  const redraw = "\r\x1b[2K";
  const ours = chunk.startsWith(redraw) ? redraw : "";
  return `${ours}${chunk.slice(ours.length).replace(UNSAFE_OUTSIDE_LINE_BREAKS, escapeCharacter)}`;
};

/** A word the shell reads back as it is: single-quoted, every `'` closed, escaped and reopened. */
export const shellWord = (text: string): string => `'${terminalSafe(text).replaceAll("'", "'\\''")}'`;

/** `{a: {b: 1}, c: [x, y]}` → rows `a.b = 1`, `c.0 = x`, `c.1 = y`; empty objects are skipped. */
export const flatten = (value: unknown, prefix = ""): [string, string][] => {
  if (value === null || value === undefined) return prefix ? [[prefix, String(value)]] : [];
  if (typeof value !== "object") return [[prefix || "value", String(value)]];
  const entries = Array.isArray(value)
    ? value.map((item, i) => [String(i), item] as const)
    : Object.entries(value);
  return entries.flatMap(([key, item]) => flatten(item, prefix ? `${prefix}.${key}` : key));
};

/** Two aligned columns; keys and values escaped, values quoted when they had to be (tableValue). */
export const keyValueTable = (rows: readonly (readonly [string, string])[]): string => {
  const safe = rows.map(([key, value]) => [terminalSafe(key), tableValue(value)] as const);
  const width = Math.max(0, ...safe.map(([key]) => key.length));
  return safe.map(([key, value]) => `  ${key.padEnd(width)}  ${value}`.trimEnd()).join("\n");
};

const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Aligned columns with a header row; cells are escaped (one line each) and clipped to `maxCell` characters. */
export const columnTable = (
  header: readonly string[],
  rows: readonly (readonly string[])[],
  maxCell = 48,
): string => {
  const all = [header, ...rows].map((row) =>
    row.map((cell) => clip(terminalSafe(cell.replace(/ {2,}/g, " ")), maxCell)),
  );
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
