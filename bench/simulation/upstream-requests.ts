/**
 * Where Procure-Core's slots went (issue 19's drain measure): every request that reached the
 * sandbox's routes, stamped with when the simulation saw it, then counted per budget window
 * by what sent it. The sandbox keeps only its last 1,000 requests and no times, so a poll
 * every 100 ms copies the new ones (a few a poll at the limits simulated): a request's time
 * is known to within the poll.
 *
 * What sent a request is read from its target and the audit trail: a bulk item's intent is
 * the job's; an HTTP target's request is the HTTP call's own (interactive) when its answer
 * was not 429, and the continuation's (background) when the continuation finished it (the
 * budget refused the HTTP call before it sent anything).
 */
import type { LoggedRequest } from "#local/sandboxes/procure-core/procure-core-routes.ts";
import type { AuditRow } from "./outcomes.ts";

export interface StampedRequest extends LoggedRequest {
  at: number;
}

const POLL_MS = 100;

/** Copies the sandbox's requests as they arrive, until `stop()`. */
export const recordRequests = (log: {
  count(): number;
  entries(): readonly LoggedRequest[];
}): { stop(): StampedRequest[]; lost(): number } => {
  const seen: StampedRequest[] = [];
  let counted = log.count();
  let lost = 0;
  const poll = (): void => {
    const count = log.count();
    const fresh = count - counted;
    if (fresh <= 0) return;
    const entries = log.entries();
    const copied = entries.slice(Math.max(0, entries.length - fresh));
    lost += fresh - copied.length;
    const at = Date.now();
    for (const entry of copied) seen.push({ ...entry, at });
    counted = count;
  };
  const timer = setInterval(poll, POLL_MS);
  return {
    stop: () => {
      clearInterval(timer);
      poll();
      return seen;
    },
    lost: () => lost,
  };
};

export interface WindowRequests {
  /** Seconds from the job's start to the window's start. */
  from: number;
  /** The job's items: cancels (POST) and reads (GET). */
  bulkCancels: number;
  bulkReads: number;
  /** The continuation's, for targets HTTP left open (their 429s). */
  continuationCancels: number;
  continuationReads: number;
  /** HTTP calls' own (interactive). */
  interactive: number;
  other: number;
  total: number;
}

const intentOf = (pathAndQuery: string): { id: string; cancel: boolean } | undefined => {
  const match = /^\/api\/v1\/intents\/([^/?]+)(\/cancel)?/.exec(pathAndQuery);
  return match ? { id: decodeURIComponent(match[1] as string), cancel: match[2] !== undefined } : undefined;
};

/**
 * The requests of each window `[start + k·W, start + (k+1)·W)` for `windows` windows, by what
 * sent them; `httpRefused` are the HTTP targets answered 429 (the continuation's to finish).
 */
export const requestsByWindow = (
  requests: readonly StampedRequest[],
  rows: readonly AuditRow[],
  bulkIds: ReadonlySet<string>,
  httpIds: ReadonlySet<string>,
  start: number,
  windowMs: number,
  windows: number,
): WindowRequests[] => {
  const continued = new Set(rows.filter((row) => row.via === "continuation").map((row) => row.targetId));
  const result: WindowRequests[] = Array.from({ length: windows }, (_, k) => ({
    from: Math.round((k * windowMs) / 1000),
    bulkCancels: 0,
    bulkReads: 0,
    continuationCancels: 0,
    continuationReads: 0,
    interactive: 0,
    other: 0,
    total: 0,
  }));
  for (const request of requests) {
    const k = Math.floor((request.at - start) / windowMs);
    const intent = intentOf(request.pathAndQuery);
    // An HTTP target the continuation finished was refused by the budget before anything was sent.
    const kind =
      intent === undefined
        ? "other"
        : bulkIds.has(intent.id)
          ? "bulk"
          : httpIds.has(intent.id)
            ? continued.has(intent.id)
              ? "continuation"
              : "interactive"
            : "other";
    if (k < 0 || k >= windows) continue;
    const window = result[k] as WindowRequests;
    window.total++;
    if (kind === "bulk") intent?.cancel ? window.bulkCancels++ : window.bulkReads++;
    else if (kind === "continuation")
      intent?.cancel ? window.continuationCancels++ : window.continuationReads++;
    else window[kind]++;
  }
  return result;
};
