/**
 * `Idempotency-Key` as A55 applies it, per client: the first request with a key is
 * handled and its answer kept (24 h by the sandbox clock); the same key with the same
 * request (method, path and raw body) gets that status and body again, with no new
 * effect; the same key with another request is refused (409 IDEMPOTENCY_KEY_REUSED).
 * Answers that did not reach the handler (401, 429, injected faults) are never kept, so
 * a retry of them runs for real.
 */
import { createHash } from "node:crypto";

export interface StoredAnswer {
  status: number;
  body: unknown;
}

export type ReplayLookup = { kind: "miss" } | { kind: "replay"; answer: StoredAnswer } | { kind: "mismatch" };

interface Entry {
  fingerprint: string;
  answer: StoredAnswer;
  expiresAt: number;
}

export const DEFAULT_REPLAY_TTL_MS = 24 * 60 * 60 * 1000;

export class IdempotencyReplay {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  readonly #ttlMs: number;

  constructor(options: { now: () => number; ttlMs?: number }) {
    this.#now = options.now;
    this.#ttlMs = options.ttlMs ?? DEFAULT_REPLAY_TTL_MS;
  }

  /** What a request with `key` from `clientId` should get. */
  lookup(clientId: string, key: string, fingerprint: string): ReplayLookup {
    const entry = this.#entries.get(entryKey(clientId, key));
    if (!entry || entry.expiresAt <= this.#now()) return { kind: "miss" };
    return entry.fingerprint === fingerprint
      ? { kind: "replay", answer: entry.answer }
      : { kind: "mismatch" };
  }

  remember(clientId: string, key: string, fingerprint: string, answer: StoredAnswer): void {
    this.#entries.set(entryKey(clientId, key), {
      fingerprint,
      // A copy: a later change to the charge must not change what is replayed.
      answer: structuredClone(answer),
      expiresAt: this.#now() + this.#ttlMs,
    });
  }
}

/** The request's identity for replay: method, path and the raw body bytes. */
export const requestFingerprint = (method: string, path: string, rawBody: string): string =>
  createHash("sha256").update(`${method}\n${path}\n${rawBody}`).digest("hex");

const entryKey = (clientId: string, key: string): string => `${clientId}\u0000${key.toLowerCase()}`;
