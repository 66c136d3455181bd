/**
 * The two submission formats of `POST /api/v1/bulk-cancellations`, read into lines (a
 * target, or what is wrong with it) for the core's rules (core/bulk-manifest.ts).
 *
 * - `application/json`: `{ "reason"?, "items": [ {type:"intent", id} | {type:"charge",
 *   chargeUuid, walletUuid} | {type:"order", orderId, intentId?, charge?} ] }`; an item's
 *   line is its position in `items` (1-based).
 * - `text/csv`: a header row naming columns among `type, id, chargeUuid, walletUuid,
 *   orderId, intentId` (any order; without `type` every row is an intent), then one row per
 *   item; lines are the file's (the header is line 1). An order row names its charge with
 *   `chargeUuid` and `walletUuid`. The reason comes in the query (`?reason=`).
 *
 * Targets follow the `Cancel Requested` event's rules (the same schema), so every trigger
 * accepts the same ids. CSV is read by csv-parse (quoting, CRLF, BOM), not by hand, loaded on
 * the first CSV submission (the HTTP function's other requests never need it: 30 KiB less at
 * its module init, `npm run bench -- --only cold-start`).
 */
import * as v from "valibot";
import { cancelRequestedSchema, MAX_REASON_LENGTH } from "#adapters/events/cancel-requested-schema.ts";
import { describeIssues, safeParseConfig } from "#adapters/validation/describe-issues.ts";
import type { BulkItemTarget } from "#core/bulk-job.ts";
import { MAX_BULK_ITEMS, type SubmittedLine } from "#core/bulk-manifest.ts";
import { loadOnFirstUse } from "#wiring/load-on-first-use.ts";
import { HttpProblem } from "./http-problem.ts";

const loadCsvParser = loadOnFirstUse(() => import("csv-parse/sync"));

const targetSchema = cancelRequestedSchema.entries.target;

export const CSV_COLUMNS = ["type", "id", "chargeUuid", "walletUuid", "orderId", "intentId"] as const;
type Column = (typeof CSV_COLUMNS)[number];

/** A rejected line is kept this short, with control characters replaced, in the job's report. */
const MAX_LINE_TEXT = 120;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
const CONTROL = /[\u0000-\u001f\u007f]/g;
const lineText = (text: string): string => {
  const clean = text.replace(CONTROL, "?");
  return clean.length > MAX_LINE_TEXT ? `${clean.slice(0, MAX_LINE_TEXT - 1)}…` : clean;
};

const lineOf = (line: number, value: unknown, text?: string): SubmittedLine => {
  const result = v.safeParse(targetSchema, value, safeParseConfig);
  if (result.success) return { line, target: result.output as BulkItemTarget };
  const [first] = describeIssues(result.issues);
  const field = first?.field || "type";
  return {
    line,
    problem: { field, why: first?.message ?? "is not a valid item" },
    ...(text !== undefined && { text: lineText(text) }),
  };
};

const tooMany = (count: number): HttpProblem =>
  new HttpProblem(
    "validation",
    `must hold at most ${MAX_BULK_ITEMS.toLocaleString("en-US")} items (${count.toLocaleString("en-US")} sent); split the job`,
    { field: "items" },
  );

const reasonSchema = v.optional(
  v.pipe(
    v.string(),
    v.minLength(1, "must not be empty"),
    v.maxLength(MAX_REASON_LENGTH, `must be at most ${MAX_REASON_LENGTH} characters`),
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    v.regex(/^[^\u0000-\u001f\u007f]+$/, "must not contain control characters"),
  ),
);

export const parseReason = (reason: unknown): string | undefined => {
  const result = v.safeParse(reasonSchema, reason, safeParseConfig);
  if (result.success) return result.output;
  throw new HttpProblem("validation", `reason ${result.issues[0]?.message ?? "is invalid"}`, {
    field: "reason",
  });
};

export interface Submission {
  lines: SubmittedLine[];
  unit: "line" | "item";
  reason: string | undefined;
}

/** A JSON submission. @throws HttpProblem (validation) naming the field for a body that is not one */
export const readJsonSubmission = (rawBody: string): Submission => {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    throw new HttpProblem("validation", "The body is not valid JSON", { field: "body" });
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new HttpProblem("validation", "The body must be a JSON object with items", { field: "body" });
  }
  const { items, reason } = body as { items?: unknown; reason?: unknown };
  if (!Array.isArray(items)) throw new HttpProblem("validation", "items must be a list", { field: "items" });
  if (items.length > MAX_BULK_ITEMS) throw tooMany(items.length);
  return {
    lines: items.map((item, i) => lineOf(i + 1, item)),
    unit: "item",
    reason: parseReason(reason),
  };
};

const rowValue = (row: Partial<Record<Column, string>>): Record<string, unknown> => {
  const type = row.type ?? "intent";
  const charge =
    row.chargeUuid !== undefined || row.walletUuid !== undefined
      ? { chargeUuid: row.chargeUuid, walletUuid: row.walletUuid }
      : undefined;
  if (type === "intent") return { type, id: row.id };
  if (type === "charge") return { type, chargeUuid: row.chargeUuid, walletUuid: row.walletUuid };
  if (type === "order") return { type, orderId: row.orderId, intentId: row.intentId, charge };
  return { type };
};

/** A CSV submission. @throws HttpProblem (validation) for a missing or unknown header, or CSV that cannot be read */
export const readCsvSubmission = async (rawBody: string, reason: string | undefined): Promise<Submission> => {
  const { parse } = await loadCsvParser();
  let records: { record: string[]; info: { lines: number }; raw: string }[];
  try {
    records = parse(rawBody, {
      bom: true,
      info: true,
      raw: true,
      skip_empty_lines: true,
      trim: true,
      relax_column_count: true,
    }) as unknown as { record: string[]; info: { lines: number }; raw: string }[];
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    throw new HttpProblem(
      "validation",
      `The CSV cannot be read${line ? ` at line ${line}` : ""}: ${(error as Error).message}`,
      {
        field: "body",
      },
    );
  }
  const [header, ...rows] = records;
  if (!header)
    throw new HttpProblem("validation", "The CSV is empty: it needs a header row and items", {
      field: "items",
    });
  const names = header.record;
  const known = new Set<string>(CSV_COLUMNS);
  const unknown = names.filter((name) => !known.has(name));
  if (!names.some((name) => known.has(name))) {
    throw new HttpProblem(
      "validation",
      `The CSV's first line must be a header naming its columns (${CSV_COLUMNS.join(", ")})`,
      { field: "header" },
    );
  }
  if (unknown.length > 0) {
    throw new HttpProblem(
      "validation",
      `Unknown CSV column${unknown.length > 1 ? "s" : ""} ${unknown.map((u) => JSON.stringify(lineText(u))).join(", ")}; columns are ${CSV_COLUMNS.join(", ")}`,
      { field: "header" },
    );
  }
  if (rows.length > MAX_BULK_ITEMS) throw tooMany(rows.length);
  const lines = rows.map(({ record, info, raw }) => {
    const row: Partial<Record<Column, string>> = {};
    names.forEach((name, i) => {
      const value = record[i];
      if (value !== undefined && value !== "") row[name as Column] = value;
    });
    if (record.length > names.length) {
      return {
        line: info.lines,
        problem: { field: "row", why: `has ${record.length} fields; the header names ${names.length}` },
        text: lineText(raw.trim()),
      } satisfies SubmittedLine;
    }
    return lineOf(info.lines, rowValue(row), raw.trim());
  });
  return { lines, unit: "line", reason: parseReason(reason) };
};
