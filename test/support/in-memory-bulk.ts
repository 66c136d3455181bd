/**
 * In-memory bulk job store and work queue with the DynamoDB store's conditions: a
 * transition is written only at its version (and, with a guard, only while the counters
 * are as read); an item starts only while its job is RUNNING and it has no result; a final
 * result is written once and moves the counters once, and the job's last one ends the job
 * in the same write (core/bulk-item-result.ts `jobEndWith`).
 */
import { jobEndWith } from "#core/bulk-item-result.ts";
import type { BulkJob, BulkTransition, ManifestEntry } from "#core/bulk-job.ts";
import type {
  BulkItemFinish,
  BulkItemMessage,
  BulkItemResult,
  BulkJobAuditRecord,
  BulkJobStore,
  BulkWorkQueue,
  CreateResult,
  ItemOutcomeSummary,
  StartResult,
} from "#core/bulk-ports.ts";

type Counters = Pick<BulkJob, "started" | "finished" | "outcomes">;

const MUTABLE_COUNTERS = ["started", "finished", "outcomes"] as const;

export class InMemoryBulkStore implements BulkJobStore {
  readonly jobs = new Map<string, BulkJob>();
  readonly manifests = new Map<string, ManifestEntry[]>();
  readonly items = new Map<string, BulkItemResult>();
  readonly audits: BulkJobAuditRecord[] = [];
  /** Round trips, by operation: what a DynamoDB store would send. */
  readonly calls: string[] = [];
  /** When set, every call throws it (a store outage). */
  failWith: Error | undefined;

  #check(operation: string): void {
    this.calls.push(operation);
    if (this.failWith) throw this.failWith;
  }

  #itemKey(jobId: string, index: number): string {
    return `${jobId}#${index}`;
  }

  async create(
    job: BulkJob,
    manifest: readonly ManifestEntry[],
    audits: BulkJobAuditRecord[],
  ): Promise<CreateResult> {
    this.#check("create");
    this.manifests.set(`${job.id}#${job.manifest.id}`, structuredClone([...manifest]));
    const existing = this.jobs.get(job.id);
    if (existing) return { kind: "exists", job: structuredClone(existing) };
    this.jobs.set(job.id, structuredClone(job));
    this.audits.push(...structuredClone(audits));
    return { kind: "created" };
  }

  async get(jobId: string): Promise<BulkJob | undefined> {
    this.#check("get");
    const job = this.jobs.get(jobId);
    return job && structuredClone(job);
  }

  async due(now: number, limit: number): Promise<BulkJob[]> {
    this.#check("due");
    return [...this.jobs.values()]
      .filter((job) => job.nextCheckAt !== undefined && job.nextCheckAt <= now)
      .sort((a, b) => (a.nextCheckAt ?? 0) - (b.nextCheckAt ?? 0))
      .slice(0, limit)
      .map((job) => structuredClone(job));
  }

  async commit(transition: BulkTransition, audits: BulkJobAuditRecord[]): Promise<"written" | "conflict"> {
    this.#check("commit");
    return this.#commit(transition, audits);
  }

  #commit(transition: BulkTransition, audits: BulkJobAuditRecord[]): "written" | "conflict" {
    const stored = this.jobs.get(transition.next.id);
    if (!stored || stored.version !== transition.expectedVersion) return "conflict";
    const { guard } = transition;
    if (guard && (stored.started !== guard.started || stored.finished !== guard.finished)) return "conflict";
    // Counters are never written by a transition: the store's own values stay.
    const counters: Counters = {
      started: stored.started,
      finished: stored.finished,
      outcomes: stored.outcomes,
    };
    const next = structuredClone(transition.next);
    for (const name of MUTABLE_COUNTERS) delete (next as Partial<BulkJob>)[name];
    this.jobs.set(next.id, { ...(next as BulkJob), ...counters });
    this.audits.push(...structuredClone(audits));
    return "written";
  }

  async manifest(job: BulkJob, from: number, to: number): Promise<ManifestEntry[]> {
    this.#check("manifest");
    const entries = this.manifests.get(`${job.id}#${job.manifest.id}`);
    if (!entries) throw new Error(`no manifest for job ${job.id}`);
    return structuredClone(entries.slice(from, to));
  }

  async startItem(jobId: string, index: number, at: string): Promise<StartResult> {
    this.#check("startItem");
    const job = this.jobs.get(jobId);
    const existing = this.items.get(this.#itemKey(jobId, index));
    if (existing) return { kind: "already-started", result: structuredClone(existing) };
    if (!job) return { kind: "no-job" };
    if (job.state !== "RUNNING") return { kind: "not-running", state: job.state };
    job.started++;
    this.items.set(this.#itemKey(jobId, index), { index, status: "RUNNING", startedAt: at });
    return { kind: "started" };
  }

  async markPending(jobId: string, index: number, summary: ItemOutcomeSummary): Promise<void> {
    this.#check("markPending");
    const item = this.items.get(this.#itemKey(jobId, index));
    if (item?.status === "RUNNING") Object.assign(item, { status: "PENDING", outcome: summary });
  }

  /** `finishItem`'s condition, for a caller that writes it in its own transaction. */
  accepts(finish: BulkItemFinish): boolean {
    const item = this.items.get(this.#itemKey(finish.jobId, finish.index));
    return item?.status === "RUNNING" || item?.status === "PENDING";
  }

  /**
   * Writes a final result the caller checked with `accepts` (no round trip of its own); the
   * job's last result ends the job with it, as the DynamoDB store's transaction does.
   */
  apply(finish: BulkItemFinish): void {
    const item = this.items.get(this.#itemKey(finish.jobId, finish.index));
    const read = this.jobs.get(finish.jobId);
    if (!item) return;
    const end = read && jobEndWith(structuredClone(read), finish);
    if (end && this.#commit(end.transition, [end.audit]) !== "written")
      throw new Error(`the end of job ${finish.jobId} was refused at the version just read`);
    const job = this.jobs.get(finish.jobId);
    Object.assign(item, {
      status: finish.outcome,
      outcome: finish.summary,
      finishedAt: finish.at,
      via: finish.via,
    });
    if (job) {
      job.finished++;
      job.outcomes[finish.outcome] = (job.outcomes[finish.outcome] ?? 0) + 1;
    }
  }

  async finishItem(finish: BulkItemFinish): Promise<"written" | "already-final"> {
    this.#check("finishItem");
    if (!this.accepts(finish)) return "already-final";
    this.apply(finish);
    return "written";
  }

  async results(jobId: string, from: number, to: number): Promise<BulkItemResult[]> {
    this.#check("results");
    return [...this.items.entries()]
      .filter(([key, item]) => key.startsWith(`${jobId}#`) && item.index >= from && item.index < to)
      .map(([, item]) => structuredClone(item))
      .sort((a, b) => a.index - b.index);
  }
}

/** The work queue as a list: what was sent, in order; `failAfter` makes a send fail part-way (a crash). */
export class FakeWorkQueue implements BulkWorkQueue {
  readonly sent: BulkItemMessage[] = [];
  failWith: Error | undefined;

  async send(messages: readonly BulkItemMessage[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.sent.push(...structuredClone([...messages]));
  }

  /** Takes the oldest message off the queue (as a consumer receives and deletes it). */
  take(): BulkItemMessage | undefined {
    return this.sent.shift();
  }
}
