/**
 * A job's per-item results: its manifest (every line, in order) joined with the results of
 * the items that started. An item without a result is QUEUED, or STOPPED once a stop was
 * accepted (it will never start); duplicates and rejected lines say so.
 */
import {
  type BulkItemTarget,
  type BulkJob,
  type ItemStatus,
  MANIFEST_SLICE,
  type ManifestEntry,
  trailPathOf,
} from "./bulk-job.ts";
import type { BulkItemResult, BulkJobStore } from "./bulk-ports.ts";

export interface ItemRow {
  /** Position in the manifest (0-based). */
  index: number;
  /** The caller's line (CSV) or item number (JSON), 1-based. */
  line: number;
  /** Absent on a rejected line. */
  target?: BulkItemTarget;
  outcome: ItemStatus;
  upstreamStatus?: number;
  upstreamCode?: string | number;
  /** Why: the upstream's reason, the rejection's, or the line it duplicates. */
  reason?: string;
  /** The line this one duplicates. */
  duplicateOf?: number;
  /** The target's audit trail (`GET`, signed). */
  trail?: string;
  startedAt?: string;
  finishedAt?: string;
}

const rowOf = (
  job: BulkJob,
  index: number,
  entry: ManifestEntry,
  result: BulkItemResult | undefined,
): ItemRow => {
  const base = { index, line: entry.line };
  if (entry.kind === "rejected") {
    return {
      ...base,
      outcome: "REJECTED",
      reason: `${entry.field} ${entry.why}${entry.text === undefined ? "" : ` (line: ${entry.text})`}`,
    };
  }
  const trail = trailPathOf(entry.target);
  if (entry.kind === "duplicate") {
    return {
      ...base,
      target: entry.target,
      outcome: "DUPLICATE",
      duplicateOf: entry.of,
      reason: `the same target as line ${entry.of}, run once there`,
      trail,
    };
  }
  if (!result) {
    const stopped = job.state === "STOPPING" || job.state === "STOPPED";
    return { ...base, target: entry.target, outcome: stopped ? "STOPPED" : "QUEUED", trail };
  }
  const summary = result.outcome;
  return {
    ...base,
    target: entry.target,
    outcome: result.status,
    ...(summary?.upstreamStatus !== undefined && { upstreamStatus: summary.upstreamStatus }),
    ...(summary?.upstreamCode !== undefined && { upstreamCode: summary.upstreamCode }),
    ...(summary?.detail !== undefined && { reason: summary.detail }),
    trail,
    startedAt: result.startedAt,
    ...(result.finishedAt !== undefined && { finishedAt: result.finishedAt }),
  };
};

/** The rows of items `from` to `to` (exclusive). Two reads: the manifest and the results of that range. */
export const itemRows = async (
  store: Pick<BulkJobStore, "manifest" | "results">,
  job: BulkJob,
  from: number,
  to: number,
): Promise<ItemRow[]> => {
  const end = Math.min(to, job.total);
  if (from >= end) return [];
  const [entries, results] = await Promise.all([
    store.manifest(job, from, end),
    store.results(job.id, from, end),
  ]);
  const byIndex = new Map(results.map((result) => [result.index, result]));
  return entries.map((entry, offset) => rowOf(job, from + offset, entry, byIndex.get(from + offset)));
};

export interface ItemsPage {
  items: ItemRow[];
  /** Where the next page starts (an item index); absent on the last page. */
  next?: number;
}

/**
 * One page of rows from `from`, only those with `outcome` when given. Reads a chunk of the
 * manifest at a time until the page is full, so a rare outcome in a large job costs a few
 * more reads, never the whole job at once.
 */
export const itemsPage = async (
  store: Pick<BulkJobStore, "manifest" | "results">,
  job: BulkJob,
  options: { from: number; limit: number; outcome?: ItemStatus },
): Promise<ItemsPage> => {
  const items: ItemRow[] = [];
  let at = options.from;
  while (at < job.total) {
    const sliceEnd = Math.min(job.total, at - (at % MANIFEST_SLICE) + MANIFEST_SLICE);
    const rows = await itemRows(store, job, at, sliceEnd);
    for (const row of rows) {
      if (options.outcome !== undefined && row.outcome !== options.outcome) continue;
      if (items.length === options.limit) return { items, next: row.index };
      items.push(row);
    }
    at = sliceEnd;
  }
  return { items };
};

/** Every row, in order (the CSV report). */
export const allItemRows = async (
  store: Pick<BulkJobStore, "manifest" | "results">,
  job: BulkJob,
): Promise<ItemRow[]> => {
  const rows: ItemRow[] = [];
  for (let at = 0; at < job.total; at += MANIFEST_SLICE) {
    rows.push(...(await itemRows(store, job, at, at + MANIFEST_SLICE)));
  }
  return rows;
};
