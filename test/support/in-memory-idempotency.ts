/**
 * The DynamoDB idempotency store's rules in a Map (functions/adapters/dynamo/idempotency-store.ts):
 * the same conditions for taking and taking over a key; a single cancel's attempt findable
 * while in progress. Completing and releasing a key are the unit of work's
 * (in-memory-unit-of-work.ts), atomic with the cancellations' and the audit log's writes.
 */
import { createHash } from "node:crypto";
import type { CancelOutcome } from "#core/outcome.ts";
import type {
  AbandonedAttempt,
  AttemptRecovery,
  BeginRequest,
  BeginResult,
  IdempotencyStore,
  Lease,
  Page,
} from "#core/ports.ts";
import { plainCopy } from "./plain-copy.ts";

const hash = (payload: unknown): string => createHash("sha256").update(JSON.stringify(payload)).digest("hex");

export interface StoredKey {
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

/** The DynamoDB store's rules, in a Map. */
export class InMemoryIdempotencyStore implements IdempotencyStore {
  readonly keys = new Map<string, StoredKey>();
  #tokens = 0;
  /** When set, every call throws it, and so do the unit of work's key writes (a store outage). */
  failWith: Error | undefined;

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
      ...(request.recovery && { recovery: plainCopy(request.recovery) }),
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
          ? [{ scopeKey, token: key.token, ...plainCopy(key.recovery) }]
          : [],
      )
      .sort((a, b) => a.recoverAt - b.recoverAt);
    return { items: items.slice(0, options.limit ?? 1000) };
  }

  /** The key while this lease still holds it (IN_PROGRESS, same token): what a finishing write is conditional on. */
  holding(lease: Lease): StoredKey | undefined {
    const stored = this.keys.get(lease.scopeKey);
    return stored && stored.token === lease.token && stored.status === "IN_PROGRESS" ? stored : undefined;
  }
}
