/**
 * The Procure-Core sandbox's intents, in memory, and the seed's cancel state table
 * ("取消状态说明") as behaviour.
 *
 * Asynchronous PROCESSING cancels (seed "注意事项: 异步处理") run without timers: an accepted
 * cancel stores when it was requested, and every read settles the intent to CANCELLED
 * once `processingCancelDelayMs` has passed on the injected clock. Tests move the clock;
 * nothing fires in the background.
 */
import type { IntentStatus } from "#core/intent-rules.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

/** What a test, a benchmark or the demo data puts into the store. */
export interface IntentSeed {
  id: string;
  /** Owning app. */
  appId: string;
  status: IntentStatus;
  /** Epoch ms; defaults to now. */
  createdAt?: number;
  /** Epoch ms; defaults to `createdAt`. */
  updatedAt?: number;
  /** Epoch ms; defaults to `updatedAt` for a CANCELLED intent, else null. */
  cancelledAt?: number | null;
  /** PROCESSING only: the e-commerce order already shipped, so a cancel fails with 50003. */
  shipped?: boolean;
  /**
   * PROCESSING only: how an accepted asynchronous cancel ends once its delay has passed.
   * CANCELLED (the default), or the ways the seed says it may fail: the order was bought and
   * shipped meanwhile (COMPLETED), or the intent failed (FAILED).
   */
  asyncCancelEnds?: AsyncCancelEnd;
}

export type AsyncCancelEnd = "CANCELLED" | "COMPLETED" | "FAILED";

/** An intent as the sandbox holds it, settled to the current time. */
export interface StoredIntent {
  id: string;
  appId: string;
  status: IntentStatus;
  createdAt: number;
  updatedAt: number;
  cancelledAt: number | null;
  shipped: boolean;
  /** When an asynchronous cancel was accepted; null when none is pending. */
  cancelRequestedAt: number | null;
  asyncCancelEnds: AsyncCancelEnd;
}

/** The intent as the API shows it (`GET` and list items). */
export interface IntentJson {
  id: string;
  status: IntentStatus;
  createdAt: string;
  updatedAt: string;
  cancelledAt: string | null;
}

/** Every way a cancel can end, before it is put into an envelope. */
export type CancelAttempt =
  | { kind: "cancelled"; intent: StoredIntent; effect: true }
  | { kind: "accepted-async"; intent: StoredIntent; effect: boolean }
  | { kind: "shipped"; intent: StoredIntent }
  | { kind: "not-cancellable"; intent: StoredIntent }
  | { kind: "not-found" }
  | { kind: "forbidden" };

export type ReadAttempt =
  | { kind: "found"; intent: StoredIntent }
  | { kind: "not-found" }
  | { kind: "forbidden" };

export interface ListFilter {
  status?: IntentStatus;
  order: "asc" | "desc";
  page: number;
  pageSize: number;
}

export interface GenerateOptions {
  /** Id prefix; defaults to `intent_expired_`. Ids are the prefix plus a zero-padded number. */
  prefix?: string;
  /** First number; defaults to 1. */
  startIndex?: number;
  appId: string;
  now: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The JSON view of an intent. */
export const toIntentJson = (intent: StoredIntent): IntentJson => ({
  id: intent.id,
  status: intent.status,
  createdAt: iso(intent.createdAt),
  updatedAt: iso(intent.updatedAt),
  cancelledAt: intent.cancelledAt === null ? null : iso(intent.cancelledAt),
});

/**
 * `n` SUBMITTED intents created 2–3 days before `now`, each at a distinct time, oldest
 * first — the expiry sweep's prey (benchmarks use 10,000).
 */
export const generateExpiredIntents = (n: number, options: GenerateOptions): IntentSeed[] => {
  const prefix = options.prefix ?? "intent_expired_";
  const start = options.startIndex ?? 1;
  const width = Math.max(4, String(start + n - 1).length);
  // Spread over one day, at least 1 ms apart, so createdAt alone orders them.
  const step = Math.max(1, Math.floor(DAY_MS / Math.max(n, 1)));
  return Array.from({ length: n }, (_, i) => {
    const createdAt = options.now - 3 * DAY_MS + i * step;
    return {
      id: `${prefix}${String(start + i).padStart(width, "0")}`,
      appId: options.appId,
      status: "SUBMITTED",
      createdAt,
    } satisfies IntentSeed;
  });
};

export class IntentStore {
  readonly #intents = new Map<string, StoredIntent>();
  readonly #now: () => number;
  readonly #processingCancelDelayMs: number;

  constructor(options: { now: () => number; processingCancelDelayMs: number }) {
    this.#now = options.now;
    this.#processingCancelDelayMs = options.processingCancelDelayMs;
  }

  get size(): number {
    return this.#intents.size;
  }

  /** Adds one intent. A duplicate id is a setup mistake and throws. */
  add(seed: IntentSeed): StoredIntent {
    if (this.#intents.has(seed.id)) throw new Error(`Intent ${seed.id} already exists in the sandbox`);
    const createdAt = seed.createdAt ?? this.#now();
    const updatedAt = seed.updatedAt ?? createdAt;
    const intent: StoredIntent = {
      id: seed.id,
      appId: seed.appId,
      status: seed.status,
      createdAt,
      updatedAt,
      cancelledAt:
        seed.cancelledAt !== undefined ? seed.cancelledAt : seed.status === "CANCELLED" ? updatedAt : null,
      shipped: seed.shipped ?? false,
      cancelRequestedAt: null,
      asyncCancelEnds: seed.asyncCancelEnds ?? "CANCELLED",
    };
    this.#intents.set(intent.id, intent);
    return { ...intent };
  }

  addAll(seeds: readonly IntentSeed[]): void {
    for (const seed of seeds) this.add(seed);
  }

  /** Adds `n` expired SUBMITTED intents (see `generateExpiredIntents`); returns their ids. */
  generateExpired(n: number, options: Partial<GenerateOptions> & { appId: string }): string[] {
    const seeds = generateExpiredIntents(n, { now: this.#now(), ...options });
    this.addAll(seeds);
    return seeds.map((seed) => seed.id);
  }

  /** A copy of the intent as of now, whoever owns it. */
  get(id: string): StoredIntent | undefined {
    const intent = this.#settled(id);
    return intent && { ...intent };
  }

  /** Marks a PROCESSING intent's e-commerce order as shipped (its cancel then fails with 50003). */
  markShipped(id: string, shipped = true): void {
    const intent = this.#intents.get(id);
    if (!intent) throw new Error(`No intent ${id} in the sandbox`);
    intent.shipped = shipped;
  }

  /** Sets how a PROCESSING intent's accepted asynchronous cancel will end. */
  setAsyncCancelEnd(id: string, end: AsyncCancelEnd): void {
    const intent = this.#intents.get(id);
    if (!intent) throw new Error(`No intent ${id} in the sandbox`);
    intent.asyncCancelEnds = end;
  }

  read(appId: string, id: string): ReadAttempt {
    const intent = this.#settled(id);
    if (!intent) return { kind: "not-found" };
    if (intent.appId !== appId) return { kind: "forbidden" };
    return { kind: "found", intent: { ...intent } };
  }

  /** The seed's state table. `effect` is true exactly when this call changed the intent. */
  cancel(appId: string, id: string): CancelAttempt {
    const intent = this.#settled(id);
    if (!intent) return { kind: "not-found" };
    if (intent.appId !== appId) return { kind: "forbidden" };
    const now = this.#now();
    switch (intent.status) {
      case "SUBMITTED":
        intent.status = "CANCELLED";
        intent.updatedAt = now;
        intent.cancelledAt = now;
        return { kind: "cancelled", intent: { ...intent }, effect: true };
      case "PROCESSING":
        if (intent.cancelRequestedAt !== null) {
          return { kind: "accepted-async", intent: { ...intent }, effect: false };
        }
        if (intent.shipped) return { kind: "shipped", intent: { ...intent } };
        intent.cancelRequestedAt = now;
        intent.updatedAt = now;
        return { kind: "accepted-async", intent: { ...intent }, effect: true };
      default:
        return { kind: "not-cancellable", intent: { ...intent } };
    }
  }

  /** The app's intents, filtered, ordered by createdAt (then id) and paged. */
  list(appId: string, filter: ListFilter): { items: StoredIntent[]; total: number } {
    const matches: StoredIntent[] = [];
    for (const id of this.#intents.keys()) {
      const intent = this.#settled(id);
      if (!intent || intent.appId !== appId) continue;
      if (filter.status !== undefined && intent.status !== filter.status) continue;
      matches.push(intent);
    }
    const direction = filter.order === "asc" ? 1 : -1;
    matches.sort(
      (a, b) => direction * (a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    );
    const start = (filter.page - 1) * filter.pageSize;
    return {
      items: matches.slice(start, start + filter.pageSize).map((intent) => ({ ...intent })),
      total: matches.length,
    };
  }

  /** The stored intent, with a due asynchronous cancel completed first. */
  #settled(id: string): StoredIntent | undefined {
    const intent = this.#intents.get(id);
    if (intent?.status === "PROCESSING" && intent.cancelRequestedAt !== null) {
      const doneAt = intent.cancelRequestedAt + this.#processingCancelDelayMs;
      if (this.#now() >= doneAt) {
        intent.status = intent.asyncCancelEnds;
        intent.updatedAt = doneAt;
        intent.cancelledAt = intent.asyncCancelEnds === "CANCELLED" ? doneAt : null;
        intent.cancelRequestedAt = null;
      }
    }
    return intent;
  }
}
