/**
 * The DynamoDB idempotency store's rules in a Map (functions/adapters/dynamo/idempotency-store.ts):
 * the same conditions for taking, taking over, completing and releasing a key; a single
 * cancel's attempt findable while in progress; a released key remembering the cancellation
 * it opened. Its writes and the cancellations' are atomic together, as one transaction is.
 */
import { createHash } from "node:crypto";
import type { CancelOutcome } from "#core/outcome.ts";
import type {
  AbandonedAttempt,
  AttemptRecovery,
  AuditRecord,
  BeginRequest,
  BeginResult,
  CancellationTransition,
  CompleteRequest,
  CompleteResult,
  IdempotencyStore,
  Lease,
  Page,
  ReleaseRequest,
} from "#core/ports.ts";

/** The audit log's writes a completion makes with the key (in-memory-ports.ts), all or nothing. */
interface AuditWrites {
  checkNew(records: AuditRecord[]): void;
  append(record: AuditRecord): Promise<void>;
}

/** The cancellation store's conditional write a completion makes with the key (in-memory-ports.ts). */
interface CancellationWrites {
  accepts(transition: CancellationTransition): boolean;
  put(transition: CancellationTransition): void;
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

  readonly audit: AuditWrites;
  readonly cancellations: CancellationWrites;
  constructor(audit: AuditWrites, cancellations: CancellationWrites) {
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
