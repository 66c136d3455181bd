/**
 * In-memory implementations of the core's ports, faithful enough to test the use cases:
 * the idempotency store keeps the same conditional semantics as the DynamoDB one.
 */
import { createHash } from "node:crypto";
import { v5 as uuidv5 } from "uuid";
import type { BulkItemFinish } from "#core/bulk-ports.ts";
import {
  type Cancellation,
  type CancellationKind,
  DEFAULT_LIFECYCLE_POLICY,
  type LifecyclePolicy,
} from "#core/cancellation.ts";
import type { CancelDependencies } from "#core/dependencies.ts";
import type { CancelOutcome, IntentView } from "#core/outcome.ts";
import { outcomeEventOf } from "#core/outcome-events.ts";
import type {
  AbandonedAttempt,
  AttemptRecovery,
  AuditLog,
  AuditRecord,
  BeginRequest,
  BeginResult,
  CancelChargeRequest,
  CancellationStore,
  CancellationTransition,
  ChargeCancelResult,
  ChargesUpstream,
  Clock,
  CompleteRequest,
  CompleteResult,
  IdempotencyStore,
  Ids,
  IntentCancelResult,
  IntentDetails,
  IntentPage,
  IntentReadResult,
  IntentsUpstream,
  Lease,
  ListIntentsQuery,
  OutcomeEvent,
  Page,
  ReleaseRequest,
} from "#core/ports.ts";
import type { InMemoryBulkStore } from "./in-memory-bulk.ts";

export class FakeClock implements Clock {
  current: number;
  constructor(start = Date.parse("2026-11-23T10:00:00.000Z")) {
    this.current = start;
  }
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

export class SequentialIds implements Ids {
  #n = 0;
  next(): string {
    this.#n++;
    return `01JTEST${String(this.#n).padStart(19, "0")}`;
  }
  derived(name: string): string {
    return uuidv5(name, "6ba7b811-9dad-11d1-80b4-00c04fd430c8");
  }
}

interface FakeIntent extends IntentDetails {
  shipped?: boolean;
}

const meta = { httpStatus: 200, latencyMs: 1, attempts: 1 };

/** Procure-Core's cancel rules over a map; PROCESSING cancels finish when `finishPending()` is called. */
export class FakeIntents implements IntentsUpstream {
  readonly intents = new Map<string, FakeIntent>();
  readonly calls: string[] = [];
  effects = 0;
  /** When set, the next calls throw this instead of answering. */
  failWith: Error | undefined;
  #pending = new Set<string>();

  add(id: string, status: string, extra: Partial<FakeIntent> = {}): this {
    const at = "2026-11-20T10:00:00.000Z";
    this.intents.set(id, { id, status, createdAt: at, updatedAt: at, cancelledAt: null, ...extra });
    return this;
  }

  finishPending(): void {
    for (const id of this.#pending) {
      const intent = this.intents.get(id);
      if (intent) Object.assign(intent, { status: "CANCELLED", cancelledAt: "2026-11-23T10:05:00.000Z" });
    }
    this.#pending.clear();
  }

  async cancelIntent(id: string): Promise<IntentCancelResult> {
    this.calls.push(`cancel:${id}`);
    if (this.failWith) throw this.failWith;
    const intent = this.intents.get(id);
    if (!intent)
      return {
        kind: "not-found",
        message: "采购意图不存在",
        meta: { ...meta, httpStatus: 404, code: 40401 },
      };
    if (intent.status === "PROCESSING" && intent.shipped) {
      return {
        kind: "cancel-failed",
        reason: "电商平台订单已发货,无法取消",
        meta: { ...meta, httpStatus: 500, code: 50003 },
      };
    }
    if (intent.status === "SUBMITTED") {
      Object.assign(intent, { status: "CANCELLED", cancelledAt: "2026-11-23T10:00:00.000Z" });
      this.effects++;
      return { kind: "accepted", intent: view(intent), meta: { ...meta, code: 0 } };
    }
    if (intent.status === "PROCESSING") {
      if (!this.#pending.has(id)) this.effects++;
      this.#pending.add(id);
      return { kind: "accepted", intent: view(intent), meta: { ...meta, code: 0 } };
    }
    return {
      kind: "not-cancellable",
      currentStatus: intent.status,
      reason: "当前状态不允许取消",
      meta: { ...meta, httpStatus: 400, code: 40003 },
    };
  }

  async getIntent(id: string): Promise<IntentReadResult> {
    this.calls.push(`get:${id}`);
    if (this.failWith) throw this.failWith;
    const intent = this.intents.get(id);
    if (!intent)
      return {
        kind: "not-found",
        message: "采购意图不存在",
        meta: { ...meta, httpStatus: 404, code: 40401 },
      };
    return {
      kind: "found",
      intent: { ...view(intent), createdAt: intent.createdAt },
      meta: { ...meta, code: 0 },
    };
  }

  async listIntents(query: ListIntentsQuery): Promise<IntentPage> {
    this.calls.push(`list:${query.page ?? 1}`);
    if (this.failWith) throw this.failWith;
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? 20;
    const all = [...this.intents.values()]
      .filter((i) => !query.status || i.status === query.status)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) * (query.order === "desc" ? -1 : 1));
    const items = all
      .slice((page - 1) * pageSize, page * pageSize)
      .map((i) => ({ ...view(i), createdAt: i.createdAt }));
    return { items, total: all.length, page, pageSize };
  }
}

const view = (intent: FakeIntent): IntentView => ({
  id: intent.id,
  status: intent.status,
  updatedAt: intent.updatedAt,
  cancelledAt: intent.cancelledAt,
});

/** A55's charge rules over a map, with Idempotency-Key replay. */
export class FakeCharges implements ChargesUpstream {
  readonly charges = new Map<string, { walletUuid: string; status: "pending" | "settled" | "canceled" }>();
  readonly keys = new Map<string, ChargeCancelResult>();
  readonly calls: CancelChargeRequest[] = [];
  effects = 0;
  failWith: Error | undefined;

  add(chargeUuid: string, walletUuid: string, status: "pending" | "settled" | "canceled"): this {
    this.charges.set(chargeUuid, { walletUuid, status });
    return this;
  }

  async cancelCharge(request: CancelChargeRequest): Promise<ChargeCancelResult> {
    this.calls.push(request);
    if (this.failWith) throw this.failWith;
    const replay = this.keys.get(request.idempotencyKey);
    if (replay) return replay;
    const answer = this.#answer(request);
    this.keys.set(request.idempotencyKey, answer);
    return answer;
  }

  #answer(request: CancelChargeRequest): ChargeCancelResult {
    const charge = this.charges.get(request.chargeUuid);
    const error = (code: string, httpStatus: number) => ({
      errors: [{ code, source: "charge", description: code }],
      meta: { ...meta, httpStatus, code },
    });
    if (!charge || charge.walletUuid !== request.walletUuid)
      return { kind: "not-found", ...error("NOT_FOUND", 404) };
    if (charge.status === "settled") return { kind: "refund-required", ...error("CANCEL_NOT_ALLOWED", 409) };
    if (charge.status === "canceled") return { kind: "already-cancelled", ...error("ALREADY_CANCELED", 409) };
    charge.status = "canceled";
    this.effects++;
    return {
      kind: "cancelled",
      charge: { chargeUuid: request.chargeUuid, walletUuid: request.walletUuid, status: "canceled" },
      meta,
    };
  }
}

const hash = (payload: unknown): string => createHash("sha256").update(JSON.stringify(payload)).digest("hex");

interface StoredKey {
  status: "IN_PROGRESS" | "COMPLETED" | "RELEASED";
  token: string;
  attempt: number;
  hash: string;
  lockUntil: number;
  expiresAt: number;
  outcome?: CancelOutcome;
  completedAt?: string;
  /** While IN_PROGRESS: what the continuation needs to finish the attempt. */
  recovery?: AttemptRecovery;
  /** The incarnation of the cancellation a release of this key opened. */
  ownCancellation?: string;
}

/** The DynamoDB store's rules, in a Map; its writes and the cancellations' are atomic together, as one transaction is. */
export class InMemoryIdempotencyStore implements IdempotencyStore {
  readonly keys = new Map<string, StoredKey>();
  #tokens = 0;
  /** When set, every call throws it (a store outage). */
  failWith: Error | undefined;

  readonly audit: InMemoryAuditLog;
  readonly cancellations: InMemoryCancellationStore;
  constructor(audit: InMemoryAuditLog, cancellations: InMemoryCancellationStore) {
    this.audit = audit;
    this.cancellations = cancellations;
  }

  async begin(request: BeginRequest): Promise<BeginResult> {
    if (this.failWith) throw this.failWith;
    // As the DynamoDB store: a lock that is already over is a caller's bug.
    if (request.lockUntil <= request.now) throw new Error("lockUntil must be in the future");
    const existing = this.keys.get(request.scopeKey);
    const payloadHash = hash(request.payload);
    if (request.takeOver !== undefined) {
      const abandoned =
        existing?.status === "IN_PROGRESS" &&
        existing.token === request.takeOver &&
        existing.lockUntil <= request.now &&
        existing.hash === payloadHash;
      if (!abandoned) {
        return existing?.status === "COMPLETED" && existing.outcome
          ? { kind: "replay", outcome: existing.outcome, completedAt: existing.completedAt ?? "" }
          : { kind: "in-progress", retryAfterSeconds: 1 };
      }
    }
    const live = existing && existing.expiresAt > request.now;
    if (live && existing.hash !== payloadHash) return { kind: "payload-mismatch" };
    if (live && existing.status === "COMPLETED" && existing.outcome) {
      return { kind: "replay", outcome: existing.outcome, completedAt: existing.completedAt ?? "" };
    }
    if (live && existing.status === "IN_PROGRESS" && existing.lockUntil > request.now) {
      return {
        kind: "in-progress",
        retryAfterSeconds: Math.max(1, Math.ceil((existing.lockUntil - request.now) / 1000)),
      };
    }
    // A taken-over attempt is resumed even past the key's 24 hours: it may have acted upstream.
    const resumed = existing !== undefined && (live || request.takeOver !== undefined);
    const attempt = resumed ? existing.attempt + 1 : 1;
    const token = `token-${++this.#tokens}`;
    this.keys.set(request.scopeKey, {
      status: "IN_PROGRESS",
      token,
      attempt,
      hash: payloadHash,
      lockUntil: request.lockUntil,
      expiresAt: live ? existing.expiresAt : request.now + 24 * 3600 * 1000,
      ...(request.recovery && { recovery: structuredClone(request.recovery) }),
      ...(resumed && existing.ownCancellation !== undefined && { ownCancellation: existing.ownCancellation }),
    });
    const own = resumed ? existing.ownCancellation : undefined;
    return {
      kind: "acquired",
      lease: {
        scopeKey: request.scopeKey,
        token,
        attempt,
        resumed: attempt > 1,
        ...(own !== undefined && { ownCancellation: own }),
      },
    };
  }

  async abandoned(now: number, options: { limit?: number } = {}): Promise<Page<AbandonedAttempt>> {
    if (this.failWith) throw this.failWith;
    const items = [...this.keys.entries()]
      .flatMap(([scopeKey, key]) =>
        key.status === "IN_PROGRESS" && key.recovery && key.recovery.recoverAt <= now
          ? [{ scopeKey, token: key.token, ...structuredClone(key.recovery) }]
          : [],
      )
      .sort((a, b) => a.recoverAt - b.recoverAt);
    return { items: items.slice(0, options.limit ?? 1000) };
  }

  #holds(lease: Lease): StoredKey | undefined {
    const stored = this.keys.get(lease.scopeKey);
    return stored && stored.token === lease.token && stored.status === "IN_PROGRESS" ? stored : undefined;
  }

  async complete(lease: Lease, request: CompleteRequest): Promise<CompleteResult> {
    if (this.failWith) throw this.failWith;
    const stored = this.#holds(lease);
    if (!stored) return "lock-lost";
    let cancellation = request.cancellation;
    if (cancellation && !this.cancellations.accepts(cancellation)) {
      const joining = cancellation.expectedVersion === null && cancellation.next.kind !== "order";
      if (!joining) return "cancellation-moved";
      cancellation = undefined;
    }
    this.audit.checkNew(request.audits);
    delete stored.recovery;
    Object.assign(stored, {
      status: "COMPLETED",
      outcome: request.outcome,
      attempt: lease.attempt,
      completedAt: new Date(request.now).toISOString(),
    });
    if (cancellation) this.cancellations.put(cancellation);
    for (const record of request.audits) await this.audit.append(record);
    return "completed";
  }

  async release(lease: Lease, request: ReleaseRequest): Promise<void> {
    if (this.failWith) throw this.failWith;
    const stored = this.#holds(lease);
    if (!stored) return;
    delete stored.recovery;
    stored.status = "RELEASED";
    stored.attempt = lease.attempt;
    let cancellation = request.cancellation;
    if (cancellation && !this.cancellations.accepts(cancellation)) {
      // Opening one while another is open joins it; a moved transition did not happen.
      if (cancellation.expectedVersion !== null) return;
      cancellation = undefined;
    }
    this.audit.checkNew(request.audits);
    if (cancellation) this.cancellations.put(cancellation);
    if (cancellation?.expectedVersion === null && cancellation.next.kind !== "order") {
      stored.ownCancellation = cancellation.next.incarnation;
    }
    for (const record of request.audits) await this.audit.append(record);
  }
}

export class InMemoryAuditLog implements AuditLog {
  readonly records: AuditRecord[] = [];
  /** Throws, writing nothing, when any of the records exists already (a transaction's condition). */
  checkNew(records: AuditRecord[]): void {
    for (const record of records) {
      if (this.records.some((r) => r.id === record.id)) throw new Error(`audit record ${record.id} exists`);
    }
  }
  async append(record: AuditRecord): Promise<void> {
    this.checkNew([record]);
    this.records.push(structuredClone(record));
  }
  async byTarget(target: { type: string; id: string }): Promise<Page<AuditRecord>> {
    return {
      items: this.records.filter((r) => r.target.type === target.type && r.target.id === target.id).reverse(),
    };
  }
  daySlices(): readonly string[] {
    return ["all"];
  }
  async byDay(day: string): Promise<Page<AuditRecord>> {
    return { items: this.records.filter((r) => r.at.startsWith(day)) };
  }
}

/** The DynamoDB cancellation store's rules: versioned conditional puts, with their records in one step. */
export class InMemoryCancellationStore implements CancellationStore {
  readonly records = new Map<string, Cancellation>();
  /** Every applied write, with the record it replaced, in commit order (for the lifecycle model's invariants). */
  readonly writes: {
    before: Cancellation | undefined;
    after: Cancellation;
    expectedVersion: number | null;
  }[] = [];
  readonly audit: InMemoryAuditLog;
  /** The bulk items a transition may finish (set by tests of bulk jobs). */
  bulk: InMemoryBulkStore | undefined;
  /** When set, every call throws it (a store outage). */
  failWith: Error | undefined;
  constructor(audit: InMemoryAuditLog) {
    this.audit = audit;
  }

  /** Whether the transition's condition holds now (the DynamoDB store's `cancellationPut` condition). */
  accepts(transition: CancellationTransition): boolean {
    const existing = this.records.get(`${transition.next.kind}#${transition.next.id}`);
    if (transition.expectedVersion === null) {
      return !existing || (transition.next.kind !== "order" && existing.state === "DONE");
    }
    return (
      existing?.version === transition.expectedVersion && existing.incarnation === transition.next.incarnation
    );
  }

  /** Applies a transition whose condition held (checked with `accepts`). */
  put(transition: CancellationTransition): void {
    const key = `${transition.next.kind}#${transition.next.id}`;
    const before = this.records.get(key);
    const after = structuredClone(transition.next);
    this.writes.push({ before, after, expectedVersion: transition.expectedVersion });
    this.records.set(key, after);
  }

  async get(kind: CancellationKind, id: string): Promise<Cancellation | undefined> {
    if (this.failWith) throw this.failWith;
    const found = this.records.get(`${kind}#${id}`);
    return found && structuredClone(found);
  }

  #open(): Cancellation[] {
    return [...this.records.values()]
      .filter((c) => c.state !== "DONE" && c.nextCheckAt !== undefined)
      .sort((a, b) => (a.nextCheckAt ?? 0) - (b.nextCheckAt ?? 0))
      .map((c) => structuredClone(c));
  }

  async due(now: number, options: { limit?: number } = {}): Promise<Page<Cancellation>> {
    if (this.failWith) throw this.failWith;
    return {
      items: this.#open()
        .filter((c) => (c.nextCheckAt ?? 0) <= now)
        .slice(0, options.limit ?? 1000),
    };
  }

  async listOpen(options: { limit?: number } = {}): Promise<Page<Cancellation>> {
    if (this.failWith) throw this.failWith;
    return { items: this.#open().slice(0, options.limit ?? 1000) };
  }

  async countOpen(): Promise<{ open: number; stuck: number }> {
    const open = this.#open();
    return { open: open.length, stuck: open.filter((c) => c.state === "STUCK").length };
  }

  async commit(
    transition: CancellationTransition,
    audits: AuditRecord[],
    bulkItem?: BulkItemFinish,
  ): Promise<"written" | "conflict"> {
    if (this.failWith) throw this.failWith;
    if (!this.accepts(transition)) return "conflict";
    this.audit.checkNew(audits);
    this.put(transition);
    for (const record of audits) await this.audit.append(record);
    // In the same step, unless another writer finished the item first (then written without it).
    if (bulkItem && this.bulk?.accepts(bulkItem)) this.bulk.apply(bulkItem);
    return "written";
  }
}

/** What the outbox would publish: the outcome events of the announcing audit records, in append order. */
export class AnnouncedEvents {
  readonly #audit: InMemoryAuditLog;
  constructor(audit: InMemoryAuditLog) {
    this.#audit = audit;
  }
  get events(): OutcomeEvent[] {
    return this.#audit.records.flatMap((record) => outcomeEventOf(record) ?? []);
  }
}

/** A full set of in-memory dependencies, each reachable for assertions. */
export const inMemoryDependencies = (lifecycle: LifecyclePolicy = DEFAULT_LIFECYCLE_POLICY) => {
  const audit = new InMemoryAuditLog();
  const cancellations = new InMemoryCancellationStore(audit);
  const fakes = {
    intents: new FakeIntents(),
    charges: new FakeCharges(),
    audit,
    cancellations,
    lifecycle,
    idempotency: new InMemoryIdempotencyStore(audit, cancellations),
    events: new AnnouncedEvents(audit),
    clock: new FakeClock(),
    ids: new SequentialIds(),
  };
  const deps: CancelDependencies = fakes;
  return { deps, ...fakes };
};
