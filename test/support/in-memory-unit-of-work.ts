/**
 * The DynamoDB unit of work's rules in memory (functions/adapters/dynamo/unit-of-work.ts): a
 * key finished or released only while its lease holds it, a cancellation written only while
 * its version and incarnation hold, an audit record only if new; each call all or nothing, as
 * one transaction is.
 */
import type { BulkItemFinish } from "#core/bulk-ports.ts";
import type {
  AuditRecord,
  CancellationTransition,
  CompleteRequest,
  CompleteResult,
  Lease,
  ReleaseRequest,
  UnitOfWork,
} from "#core/ports.ts";
import type { InMemoryIdempotencyStore } from "./in-memory-idempotency.ts";
import type { InMemoryAuditLog, InMemoryCancellationStore } from "./in-memory-ports.ts";

export class InMemoryUnitOfWork implements UnitOfWork {
  readonly #keys: InMemoryIdempotencyStore;
  readonly #cancellations: InMemoryCancellationStore;
  readonly #audit: InMemoryAuditLog;

  constructor(
    keys: InMemoryIdempotencyStore,
    cancellations: InMemoryCancellationStore,
    audit: InMemoryAuditLog,
  ) {
    this.#keys = keys;
    this.#cancellations = cancellations;
    this.#audit = audit;
  }

  async finishAttempt(lease: Lease, request: CompleteRequest): Promise<CompleteResult> {
    if (this.#keys.failWith) throw this.#keys.failWith;
    const stored = this.#keys.holding(lease);
    if (!stored) return "lock-lost";
    let cancellation = request.cancellation;
    if (cancellation && !this.#cancellations.accepts(cancellation)) {
      const joining = cancellation.expectedVersion === null && cancellation.next.kind !== "order";
      if (!joining) return "cancellation-moved";
      cancellation = undefined;
    }
    this.#audit.checkNew(request.audits);
    delete stored.recovery;
    Object.assign(stored, {
      status: "COMPLETED",
      outcome: request.outcome,
      attempt: lease.attempt,
      completedAt: new Date(request.now).toISOString(),
    });
    if (cancellation) this.#cancellations.put(cancellation);
    for (const record of request.audits) await this.#audit.append(record);
    return "completed";
  }

  async releaseAttempt(lease: Lease, request: ReleaseRequest): Promise<void> {
    if (this.#keys.failWith) throw this.#keys.failWith;
    const stored = this.#keys.holding(lease);
    if (!stored) return;
    delete stored.recovery;
    stored.status = "RELEASED";
    stored.attempt = lease.attempt;
    let cancellation = request.cancellation;
    if (cancellation && !this.#cancellations.accepts(cancellation)) {
      // Opening one while another is open joins it; a moved transition did not happen.
      if (cancellation.expectedVersion !== null) return;
      cancellation = undefined;
    }
    this.#audit.checkNew(request.audits);
    if (cancellation) this.#cancellations.put(cancellation);
    if (cancellation?.expectedVersion === null && cancellation.next.kind !== "order") {
      stored.ownCancellation = cancellation.next.incarnation;
    }
    for (const record of request.audits) await this.#audit.append(record);
  }

  async commitTransition(
    transition: CancellationTransition,
    audits: AuditRecord[],
    bulkItem?: BulkItemFinish,
  ): Promise<"written" | "conflict"> {
    if (this.#cancellations.failWith) throw this.#cancellations.failWith;
    if (!this.#cancellations.accepts(transition)) return "conflict";
    this.#audit.checkNew(audits);
    this.#cancellations.put(transition);
    for (const record of audits) await this.#audit.append(record);
    // In the same step, unless another writer finished the item first (then written without it).
    const bulk = this.#cancellations.bulk;
    if (bulkItem && bulk?.accepts(bulkItem)) bulk.apply(bulkItem);
    return "written";
  }
}
