/**
 * The simulation's bulk cancellation job (`--bulk <n>`, issue 19): n intents submitted as one
 * CSV job through the HTTP API at the start, driven by the continuation (the local stack's
 * schedule) and run by the work queue's consumer beside whatever else the run does; then how
 * fast it drained, as a share of what the budget's background share allowed it.
 */
import { randomUUID } from "node:crypto";
import { signRequest } from "#adapters/http/request-signature.ts";
import type { AuditRow } from "./outcomes.ts";
import { SIM_APP } from "./simulated-service.ts";

export interface BulkJobView {
  id: string;
  state: string;
  counts: Record<string, number>;
  progress: { done: number; pending: number; queued: number; total: number };
  startedAt?: string;
  finishedAt?: string;
}

const signed = (method: string, pathAndQuery: string, body: string): Record<string, string> =>
  signRequest(
    { appId: SIM_APP.appId, appSecret: SIM_APP.secret },
    { method, pathAndQuery, body },
    Date.now(),
  );

/** Submits one job of these intents; resolves with the job as answered (202). */
export const submitBulkJob = async (url: string, intentIds: readonly string[]): Promise<BulkJobView> => {
  const path = "/api/v1/bulk-cancellations?reason=simulation";
  const body = `id\n${intentIds.join("\n")}\n`;
  const response = await fetch(`${url}${path}`, {
    method: "POST",
    headers: {
      ...signed("POST", path, body),
      "content-type": "text/csv",
      "idempotency-key": randomUUID(),
    },
    body,
  });
  const text = await response.text();
  if (response.status !== 202)
    throw new Error(`bulk submission answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as BulkJobView;
};

export const readBulkJob = async (url: string, id: string): Promise<BulkJobView> => {
  const path = `/api/v1/bulk-cancellations/${id}`;
  const response = await fetch(`${url}${path}`, { headers: signed("GET", path, "") });
  const text = await response.text();
  if (response.status !== 200)
    throw new Error(`bulk status answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as BulkJobView;
};

/** The job once final, or as it stands after `maxMs`. */
export const waitForBulkJob = async (url: string, id: string, maxMs: number): Promise<BulkJobView> => {
  const deadline = Date.now() + maxMs;
  for (;;) {
    const job = await readBulkJob(url, id);
    if (job.state === "DONE" || job.state === "STOPPED" || Date.now() >= deadline) return job;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
};

export interface BulkReport {
  items: number;
  state: string;
  counts: Record<string, number>;
  /** Items with a final outcome in the audit table (trigger `bulk`, one per target). */
  finals: number;
  /** From the job's start (the driver's first look) to its last item's final outcome. */
  seconds: number;
  perMinute: number;
  /**
   * The budget's windows (a minute plus its margin) wholly inside that time, the items final
   * by their end, and what the background share allowed in them (its share per window: the ring
   * lets a window's slots go at once, then frees each a window after it was taken).
   */
  windows: number;
  finalsInWindows: number;
  allowedInWindows: number;
  /** `finalsInWindows` over `allowedInWindows`: the goal is ≥ 0.9. */
  shareOfBackground: number;
  /**
   * Every background intent cancel final in those windows (the job's, and the cancels the
   * continuation finished: HTTP cancels answered 429 are finished in the background share too),
   * over what was allowed: how full the background share was.
   */
  allBackgroundInWindows: number;
  allBackgroundShare: number;
  /** From the submission's answer to the job's final state. */
  finishedAfterSeconds: number | undefined;
}

/**
 * @param backgroundPerWindow - what the budget lets background work send a window (limit × share)
 * @param windowMs - the budget's window (a minute plus its margin)
 */
export const bulkReport = (
  job: BulkJobView,
  items: number,
  rows: readonly AuditRow[],
  submittedAt: number,
  backgroundPerWindow: number,
  windowMs: number,
): BulkReport => {
  const finals = new Map<string, number>();
  for (const row of rows) {
    if (row.trigger !== "bulk" || !row.final || row.outcome === "PENDING") continue;
    finals.set(row.targetId, Math.min(finals.get(row.targetId) ?? Number.POSITIVE_INFINITY, row.at));
  }
  const startedAt = job.startedAt ? Date.parse(job.startedAt) : submittedAt;
  const lastAt = Math.max(startedAt, ...finals.values());
  const seconds = Math.max(1, (lastAt - startedAt) / 1000);
  const windows = Math.floor((lastAt - startedAt) / windowMs);
  const finalsInWindows = [...finals.values()].filter((at) => at < startedAt + windows * windowMs).length;
  const allowedInWindows = windows * backgroundPerWindow;
  const windowsEnd = startedAt + windows * windowMs;
  const background = new Set(
    rows
      .filter(
        (row) =>
          row.final &&
          row.outcome !== "PENDING" &&
          row.targetType === "intent" &&
          (row.trigger === "bulk" || row.via === "continuation") &&
          row.at >= startedAt &&
          row.at < windowsEnd,
      )
      .map((row) => row.targetId),
  ).size;
  return {
    items,
    state: job.state,
    counts: job.counts,
    finals: finals.size,
    seconds: Math.round(seconds),
    perMinute: Number(((finals.size / seconds) * 60).toFixed(1)),
    windows,
    finalsInWindows,
    allowedInWindows,
    shareOfBackground:
      allowedInWindows > 0 ? Number((finalsInWindows / allowedInWindows).toFixed(2)) : Number.NaN,
    allBackgroundInWindows: background,
    allBackgroundShare:
      allowedInWindows > 0 ? Number((background / allowedInWindows).toFixed(2)) : Number.NaN,
    finishedAfterSeconds: job.finishedAt
      ? Math.round((Date.parse(job.finishedAt) - submittedAt) / 1000)
      : undefined,
  };
};
