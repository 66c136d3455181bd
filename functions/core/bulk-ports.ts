/**
 * The ports of bulk jobs: the job store (job record, manifest, per-item results, in one
 * place so that a transition, an item's start and an item's result are each one
 * transaction) and the work queue the driver fans items out to.
 */
import type {
  BulkItemTarget,
  BulkJob,
  BulkJobState,
  BulkTransition,
  FinalItemOutcome,
  ManifestEntry,
} from "./bulk-job.ts";
import type { OutcomeType } from "./outcome.ts";

/** What an item's cancel ended as, kept with the item (never a secret). */
export interface ItemOutcomeSummary {
  type: OutcomeType;
  upstreamStatus?: number;
  upstreamCode?: string | number;
  /** Why, in one line (the outcome's reason or detail). */
  detail?: string;
}

/** The stored result of a started item. */
export interface BulkItemResult {
  index: number;
  status: "RUNNING" | "PENDING" | FinalItemOutcome;
  startedAt: string;
  finishedAt?: string;
  /** The latest answer (PENDING's, then the final one). */
  outcome?: ItemOutcomeSummary;
  /** Who wrote the final result: the item's own request, the continuation, or the driver's reconciliation. */
  via?: "request" | "continuation" | "driver";
}

/**
 * An item's final result, written once: the first writer wins and the job's counts move once.
 * The result that is its job's last ends the job in the same write (bulk-item-result.ts `jobEndWith`).
 */
export interface BulkItemFinish {
  jobId: string;
  index: number;
  outcome: FinalItemOutcome;
  summary: ItemOutcomeSummary;
  at: string;
  via: NonNullable<BulkItemResult["via"]>;
  /** The id (a ULID) of the job's final trail record, used only if this result ends the job. */
  endId: string;
}

export type StartResult =
  /** Written now: the job was RUNNING and the item had not started. */
  | { kind: "started" }
  /** An earlier delivery started it (it may be final already). */
  | { kind: "already-started"; result: BulkItemResult }
  /** Never started, and the job is not RUNNING (a stop was accepted, or it is over): it must not start. */
  | { kind: "not-running"; state: BulkJobState }
  | { kind: "no-job" };

/**
 * A job's transition record: the job's trail (`kind: "bulk-job"`), kept with the audit
 * records. The final transition's record carries `event`: it is the outbox item of the
 * `Bulk Cancellation Finished` announcement.
 */
export interface BulkJobAuditRecord {
  kind: "bulk-job";
  /** ULID; also the announced event's id. */
  id: string;
  at: string;
  jobId: string;
  actor: string;
  correlationId: string;
  reason?: string;
  from?: BulkJobState;
  to: BulkJobState;
  detail: string;
  total: number;
  /** Items by outcome at this transition (STOPPED, DUPLICATE and REJECTED included). */
  counts: Partial<Record<string, number>>;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  event?: "Bulk Cancellation Finished";
}

export type CreateResult = { kind: "created" } | { kind: "exists"; job: BulkJob };

export interface BulkJobStore {
  /**
   * Stores the manifest, then the job with its audit records in one conditional write (the
   * job must not exist). A manifest left by a create that failed after it is never read
   * (the job names its manifest) and expires.
   */
  create(
    job: BulkJob,
    manifest: readonly ManifestEntry[],
    audits: BulkJobAuditRecord[],
  ): Promise<CreateResult>;
  /** One strongly consistent read, counters included. */
  get(jobId: string): Promise<BulkJob | undefined>;
  /** Jobs not final whose `nextCheckAt` is at or before `now`, oldest-due first. */
  due(now: number, limit: number): Promise<BulkJob[]>;
  /** Writes the transition with its records; `conflict` when the version (or the guard) did not hold. */
  commit(transition: BulkTransition, audits: BulkJobAuditRecord[]): Promise<"written" | "conflict">;
  /** Manifest entries `from` to `to` (exclusive), in order. */
  manifest(job: BulkJob, from: number, to: number): Promise<ManifestEntry[]>;
  /** Starts an item: written only if the job is RUNNING and the item has no result yet; counts it as started. */
  startItem(jobId: string, index: number, at: string): Promise<StartResult>;
  /** Marks a started item PENDING (an asynchronous cancel); never over a final result. */
  markPending(jobId: string, index: number, summary: ItemOutcomeSummary): Promise<void>;
  /**
   * Writes a final result and moves the job's counts, once: `already-final` when another
   * writer was first. The job's last result also ends the job (`jobEndWith`), in the same
   * transaction: exactly one writer does, whatever runs at once.
   */
  finishItem(finish: BulkItemFinish): Promise<"written" | "already-final">;
  /** The stored results of items `from` to `to` (exclusive), in order; items never started have none. */
  results(jobId: string, from: number, to: number): Promise<BulkItemResult[]>;
}

/** The work-queue message of one item: which job, which item, and what to cancel. */
export interface BulkItemMessage {
  jobId: string;
  index: number;
  target: BulkItemTarget;
  reason?: string;
  /** The job's submitter: the cancel's actor. */
  actor: string;
}

export interface BulkWorkQueue {
  /** Sends the messages (in batches the queue accepts). Throws when any could not be sent. */
  send(messages: readonly BulkItemMessage[]): Promise<void>;
}

/** The shared upstream budget as the bulk driver paces against it (ADR 0003). */
export interface BulkBudget {
  perMinute: Record<"procure-core" | "a55", number>;
  /** The share of each limit background work (bulk items included) may use. */
  backgroundShare: number;
}

/** How the driver fans out and looks again. */
export interface BulkPacing {
  /** Minutes of the background budget kept waiting on the work queue: enough to never run dry between two driver runs. */
  windowMinutes: number;
  /** The fan-out's checkpoint is written after at most this many items sent. */
  checkpointEvery: number;
  /** A job still running is looked at again after this long. */
  recheckMs: number;
  /** How often the driver checks pending items against their cancellations (a backstop). */
  reconcileEveryMs: number;
  /**
   * A job not final whose fan-out and counts have not moved for this long is reported stuck
   * (logged, and counted in the BulkJobsStuck gauge an alarm watches): every message of an
   * item dead-lettered, or a consumer failing all along.
   */
  stuckAfterMs: number;
}

export const DEFAULT_BULK_PACING: BulkPacing = {
  windowMinutes: 2,
  checkpointEvery: 100,
  recheckMs: 15_000,
  reconcileEveryMs: 5 * 60_000,
  stuckAfterMs: 60 * 60_000,
};

export interface BulkDependencies {
  bulk: BulkJobStore;
  work: BulkWorkQueue;
  clock: { now(): number };
  ids: { next(): string; derived(name: string): string };
  budget: BulkBudget;
  pacing: BulkPacing;
}
