/**
 * A bulk cancellation job as a durable record: thousands of cancels asked for in one
 * request, each run as an ordinary cancel by the work queue, with the job keeping its
 * manifest, its fan-out checkpoint, its per-item results and its counts.
 *
 * ```
 * QUEUED ──▶ RUNNING ──▶ DONE        (every runnable item has a final result)
 *    │          │
 *    └──────────┴──▶ STOPPING ──▶ STOPPED   (no item started since; those in flight finished)
 * ```
 *
 * - QUEUED: accepted; its manifest is stored, nothing sent yet. The job sits in the due
 *   index, so the driver picks it up even if nothing else ever looks at it.
 * - RUNNING: the driver fans its items out to the work queue from a checkpoint, a window at
 *   a time; the work queue's consumer starts each item (a conditional write that also checks
 *   that the job is RUNNING) and records its result.
 * - STOPPING: a stop was accepted. No item starts any more (the start's condition fails);
 *   the items already started finish, by their request or by the continuation, and the last
 *   one's result ends the job.
 * - DONE / STOPPED: final. The final transition writes the `Bulk Cancellation Finished`
 *   announcement (counts) in the same transaction.
 *
 * Every transition is a conditional write on `version` with its audit records (one
 * transaction). The counters (`started`, `finished`, `outcomes`) are not versioned: items
 * add to them in the same transaction as their own result, and the transitions that depend
 * on them (DONE, STOPPED) carry a condition on them instead (`BulkTransition.guard`).
 */

import type { UpstreamName } from "./errors.ts";
import { scopeKeys } from "./identifiers.ts";
import type { OutcomeType } from "./outcome.ts";

export type BulkJobState = "QUEUED" | "RUNNING" | "STOPPING" | "DONE" | "STOPPED";
export type FinalBulkJobState = Extract<BulkJobState, "DONE" | "STOPPED">;

export const isFinalJobState = (state: BulkJobState): state is FinalBulkJobState =>
  state === "DONE" || state === "STOPPED";

/** One item as the caller asked for it (the `Cancel Requested` target shapes). */
export type BulkItemTarget =
  | { type: "intent"; id: string }
  | { type: "charge"; chargeUuid: string; walletUuid: string }
  | {
      type: "order";
      orderId: string;
      intentId?: string;
      charge?: { chargeUuid: string; walletUuid: string };
    };

/**
 * One line of the submission, in the job's manifest, in submission order (its index is the
 * item's index). Only `run` entries are sent; the others are reported as they are.
 */
export type ManifestEntry =
  | { line: number; kind: "run"; target: BulkItemTarget }
  /** The same target as line `of`, which runs it once. */
  | { line: number; kind: "duplicate"; target: BulkItemTarget; of: number }
  /** Invalid, skipped on the caller's request (`skipInvalid`). `text` is the line, cleaned and cut short. */
  | { line: number; kind: "rejected"; field: string; why: string; text?: string };

/** A final outcome of an item's cancel (PENDING is not final: the continuation finishes it). */
export type FinalItemOutcome = Exclude<OutcomeType, "PENDING">;

/** What the results list says of one item. */
export type ItemStatus =
  /** Not started yet. */
  | "QUEUED"
  /** Started; its cancel has not answered yet (or met an operational failure and is retried). */
  | "RUNNING"
  /** Accepted asynchronously; the continuation finishes it. */
  | "PENDING"
  | FinalItemOutcome
  /** Not started: the job was stopped first. */
  | "STOPPED"
  /** The same target as an earlier line, run once there. */
  | "DUPLICATE";

export const ITEM_STATUSES: readonly ItemStatus[] = [
  "QUEUED",
  "RUNNING",
  "PENDING",
  "CANCELLED",
  "ALREADY_CANCELLED",
  "NOT_CANCELLABLE",
  "NOT_FOUND",
  "FORBIDDEN",
  "REFUND_REQUIRED",
  "FAILED",
  "REJECTED",
  "STOPPED",
  "DUPLICATE",
];

/** The upstreams an item calls, by their one name (errors.ts). */
export type Upstream = UpstreamName;

/**
 * Manifest entries read (and stored) together: a chunk of at most 500 entries is at most
 * ~210 KB (an order line with two 128-character ids and a charge), under DynamoDB's 400 KB.
 */
export const MANIFEST_SLICE = 500;

export interface BulkJob {
  /** A UUID derived from the submitter and its `Idempotency-Key`: a resubmission is the same job. */
  id: string;
  state: BulkJobState;
  /** Incremented by every transition and checkpoint; each write is conditional on the previous one. */
  version: number;
  /** The client that submitted it: each item's actor. */
  actor: string;
  /**
   * Whose the job is (core/ownership.ts): the authenticated client that submitted it. It
   * alone reads or stops it, and its items' cancels and records are its own. Absent on jobs
   * submitted before owners were recorded: then `actor`, the same client id.
   */
  owner?: string;
  reason?: string;
  idempotencyKey: string;
  correlationId: string;
  /** Fingerprint of the submission: the same key with another submission is refused. */
  payloadHash: string;
  /** Names the stored manifest (the submission's fingerprint): a failed create's leftovers are never read. */
  manifest: { id: string };
  /** Lines submitted. */
  total: number;
  /** Items that run (valid, first of their target). */
  runnable: number;
  rejected: number;
  duplicates: number;
  /** Upstream calls the runnable items make at least (an order makes one to each): pacing and the estimate. */
  upstreamCalls: Record<Upstream, number>;
  /** The fan-out's checkpoint: manifest entries up to `next` were sent (`sent` of them runnable). */
  fanout: { next: number; sent: number };
  createdAt: string;
  startedAt?: string;
  stopRequestedAt?: string;
  finishedAt?: string;
  updatedAt: string;
  /** Epoch ms at which the driver looks at it next; absent once final. */
  nextCheckAt?: number;
  /** Epoch ms the driver last checked pending items against their cancellations. */
  reconciledAt?: number;
  /**
   * The driver's last view of the job's movement: `mark` sums up the fan-out checkpoint and
   * the counters, `at` is when the driver first saw that mark. A job whose mark stays the same
   * past `BulkPacing.stuckAfterMs` is stuck.
   */
  progress?: { mark: string; at: string };
  /** Items whose start was written (the start checks that the job is RUNNING). */
  started: number;
  /** Items whose final result was written. */
  finished: number;
  /** Final results by outcome. */
  outcomes: Partial<Record<FinalItemOutcome, number>>;
}

/** A job transition: the record as it is to be, the version it must still have, and what its counters must say. */
export interface BulkTransition {
  next: BulkJob;
  /** `null`: the job must not exist yet. */
  expectedVersion: number | null;
  /**
   * The counters as read, which must not have moved (→ DONE, → STOPPED): the final
   * announcement's counts are then exactly the job's, and no item started or finished
   * between the read and the write.
   */
  guard?: { started: number; finished: number };
}

/** What the job says of its items, for people and the final announcement. */
export interface BulkCounts {
  total: number;
  /** Final results, rejected lines, duplicates and stopped items. */
  done: number;
  /** Started and not final: in flight, or waiting for an asynchronous cancel. */
  pending: number;
  /** Not started yet. */
  queued: number;
  byOutcome: Partial<Record<ItemStatus, number>>;
}

export const countsOf = (job: BulkJob): BulkCounts => {
  const byOutcome: Partial<Record<ItemStatus, number>> = { ...job.outcomes };
  const add = (status: ItemStatus, n: number): void => {
    if (n > 0) byOutcome[status] = (byOutcome[status] ?? 0) + n;
  };
  add("REJECTED", job.rejected);
  add("DUPLICATE", job.duplicates);
  const notStarted = Math.max(0, job.runnable - job.started);
  const stopped = job.state === "STOPPING" || job.state === "STOPPED" ? notStarted : 0;
  add("STOPPED", stopped);
  const pending = Math.max(0, job.started - job.finished);
  return {
    total: job.total,
    done: job.finished + job.rejected + job.duplicates + stopped,
    pending,
    queued: notStarted - stopped,
    // Always in the order of ITEM_STATUSES, whatever order the store keeps its counters in.
    byOutcome: Object.fromEntries(
      ITEM_STATUSES.filter((status) => byOutcome[status] !== undefined).map((status) => [
        status,
        byOutcome[status],
      ]),
    ),
  };
};

/** The upstream calls an item makes at least (retries and the continuation's reads aside). */
export const callsOf = (target: BulkItemTarget): Record<Upstream, number> => {
  if (target.type === "intent") return { "procure-core": 1, a55: 0 };
  if (target.type === "charge") return { "procure-core": 0, a55: 1 };
  return { "procure-core": target.intentId === undefined ? 0 : 1, a55: target.charge === undefined ? 0 : 1 };
};

/** The key a target is known by within a job: a second line with the same key is a duplicate. */
export const itemKeyOf = (target: BulkItemTarget): string => {
  if (target.type === "intent") return `intent:${target.id}`;
  if (target.type === "charge") return `charge:${target.chargeUuid}`;
  return `order:${target.orderId}`;
};

/**
 * The idempotency scope of an item's cancel: derived from the job and the item, so a
 * redelivered message, a message sent again after a crash, or the same job submitted again
 * (same id) never acts twice.
 */
export const itemScopeKey = (jobId: string, target: BulkItemTarget): string =>
  scopeKeys.bulkItem(jobId, itemKeyOf(target));

/** Where an item's target keeps its audit trail (`GET /api/v1/cancellations/{type}/{id}`). */
export const trailPathOf = (target: BulkItemTarget): string => {
  if (target.type === "intent") return `/api/v1/cancellations/intent/${encodeURIComponent(target.id)}`;
  if (target.type === "charge") return `/api/v1/cancellations/charge/${target.chargeUuid}`;
  return `/api/v1/cancellations/order/${encodeURIComponent(target.orderId)}`;
};
