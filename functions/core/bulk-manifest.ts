/**
 * From the submitted lines (already parsed, each a target or a problem) to the job's
 * manifest: the rules of a submission.
 *
 * - At least one line and at most {@link MAX_BULK_ITEMS}.
 * - A line that repeats an earlier line's target exactly is a duplicate: it runs once, at
 *   the first line, and is reported as a duplicate of it.
 * - A line that names an earlier line's target with other details (the same order with
 *   another intent or charge, the same charge in another wallet) is invalid: a target is
 *   cancelled once, as one request.
 * - Invalid lines make the whole submission fail (each named: line, field, why), unless
 *   the caller asked to skip them; then they are kept as REJECTED entries.
 * - A submission with nothing to run is refused either way.
 */
import { type BulkItemTarget, callsOf, itemKeyOf, type ManifestEntry, type Upstream } from "./bulk-job.ts";
import { ValidationError } from "./errors.ts";

export const MAX_BULK_ITEMS = 10_000;

/** One line as the format reader found it. `line` is 1-based: the CSV line, or the item's position in a JSON list. */
export type SubmittedLine =
  | { line: number; target: BulkItemTarget }
  | { line: number; problem: { field: string; why: string }; text?: string };

/** One invalid line, as the caller is told about it. */
export interface LineIssue {
  line: number;
  field: string;
  why: string;
}

/** How many issues an answer lists at most; `count` still says how many there were. */
export const MAX_LISTED_ISSUES = 100;

/** Lines that cannot be run as submitted. Nothing was written. */
export class InvalidLinesError extends ValidationError {
  override name = "InvalidLinesError";
  readonly issues: readonly LineIssue[];
  readonly count: number;
  constructor(issues: readonly LineIssue[], unit: "line" | "item", options: { nothingToRun?: boolean } = {}) {
    const [first] = issues;
    const what = `${issues.length} ${unit}${issues.length === 1 ? " is" : "s are"} invalid`;
    const firstOne = first ? `; the first: ${unit} ${first.line}, ${first.field} ${first.why}` : "";
    super(
      first?.field ?? "items",
      options.nothingToRun
        ? `The submission holds nothing to run: ${what}${firstOne}`
        : `${what}${firstOne} (send skipInvalid=true to run the others and report these as REJECTED)`,
    );
    this.issues = issues.slice(0, MAX_LISTED_ISSUES);
    this.count = issues.length;
  }
}

export interface ManifestPlan {
  entries: ManifestEntry[];
  runnable: number;
  rejected: number;
  duplicates: number;
  upstreamCalls: Record<Upstream, number>;
}

const sameTarget = (a: BulkItemTarget, b: BulkItemTarget): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Keys in one order, so two spellings of the same target compare equal. */
const canonical = (target: BulkItemTarget): BulkItemTarget => {
  if (target.type === "intent") return { type: "intent", id: target.id };
  if (target.type === "charge")
    return {
      type: "charge",
      chargeUuid: target.chargeUuid.toLowerCase(),
      walletUuid: target.walletUuid.toLowerCase(),
    };
  return {
    type: "order",
    orderId: target.orderId,
    ...(target.intentId !== undefined && { intentId: target.intentId }),
    ...(target.charge !== undefined && {
      charge: {
        chargeUuid: target.charge.chargeUuid.toLowerCase(),
        walletUuid: target.charge.walletUuid.toLowerCase(),
      },
    }),
  };
};

/**
 * The manifest of a submission.
 *
 * @param unit - how the caller's format numbers its lines (`line` for CSV, `item` for JSON)
 * @throws ValidationError (`items`) for no line, more than {@link MAX_BULK_ITEMS}, or nothing to run
 * @throws InvalidLinesError for invalid lines, unless `skipInvalid`
 */
export const planManifest = (
  lines: readonly SubmittedLine[],
  options: { skipInvalid: boolean; unit: "line" | "item" },
): ManifestPlan => {
  if (lines.length === 0) throw new ValidationError("items", "must hold at least one item");
  if (lines.length > MAX_BULK_ITEMS) {
    throw new ValidationError(
      "items",
      `must hold at most ${MAX_BULK_ITEMS.toLocaleString("en-US")} items (${lines.length.toLocaleString("en-US")} sent); split the job`,
    );
  }
  const firstOf = new Map<string, { line: number; target: BulkItemTarget }>();
  const issues: LineIssue[] = [];
  const entries: ManifestEntry[] = [];
  const upstreamCalls: Record<Upstream, number> = { "procure-core": 0, a55: 0 };
  let runnable = 0;
  let duplicates = 0;
  for (const submitted of lines) {
    if ("problem" in submitted) {
      issues.push({ line: submitted.line, ...submitted.problem });
      entries.push({
        line: submitted.line,
        kind: "rejected",
        ...submitted.problem,
        ...(submitted.text !== undefined && { text: submitted.text }),
      });
      continue;
    }
    const target = canonical(submitted.target);
    const key = itemKeyOf(target);
    const first = firstOf.get(key);
    if (first && sameTarget(first.target, target)) {
      duplicates++;
      entries.push({ line: submitted.line, kind: "duplicate", target, of: first.line });
      continue;
    }
    if (first) {
      const problem = {
        field: target.type === "charge" ? "walletUuid" : "orderId",
        why: `names the ${target.type} of ${options.unit} ${first.line} with other details; ${target.type === "charge" ? "a" : "an"} ${target.type} is cancelled once`,
      };
      issues.push({ line: submitted.line, ...problem });
      entries.push({ line: submitted.line, kind: "rejected", ...problem });
      continue;
    }
    firstOf.set(key, { line: submitted.line, target });
    runnable++;
    const calls = callsOf(target);
    upstreamCalls["procure-core"] += calls["procure-core"];
    upstreamCalls.a55 += calls.a55;
    entries.push({ line: submitted.line, kind: "run", target });
  }
  if (issues.length > 0 && !options.skipInvalid) throw new InvalidLinesError(issues, options.unit);
  if (runnable === 0) throw new InvalidLinesError(issues, options.unit, { nothingToRun: true });
  return { entries, runnable, rejected: issues.length, duplicates, upstreamCalls };
};
