/**
 * The upstreams of the lifecycle's model-based test: both as state machines with faults a
 * schedule decides (lost answers after the upstream applied the request, 5xx, 429, refused
 * credentials), and asynchronous intent cancels that end after a delay in one of the ways
 * the seed allows.
 *
 * The upstreams keep the truth the invariants are checked against: what each intent
 * ended as, and how many times each charge was really cancelled.
 */
import { UpstreamAuthError, UpstreamError, UpstreamRateLimitedError } from "#core/errors.ts";
import type { IntentView } from "#core/outcome.ts";
import type {
  CancelChargeRequest,
  ChargeCancelResult,
  ChargesUpstream,
  Clock,
  IntentCancelResult,
  IntentPage,
  IntentReadResult,
  IntentsUpstream,
  ListIntentsQuery,
} from "#core/ports.ts";

/** What happens to one upstream call. `lost`: applied upstream, the answer never arrives. */
/**
 * What one upstream call meets: an answer; a 503; the upstream's 429; this service's shared
 * budget refusing the call before anything is sent (`budget-refused`: attempts 0); or the
 * answer lost after the upstream applied the request.
 */
export type Fault = "ok" | "unavailable" | "rate-limited" | "budget-refused" | "lost";

/** The shared budget refused the call's first attempt: nothing left the service. */
const budgetRefused = (upstream: "procure-core" | "a55", what: string) =>
  new UpstreamRateLimitedError({
    upstream,
    message: `${what}: the shared request budget is spent`,
    retryAfterSeconds: 1,
    source: "budget",
    attempts: 0,
  });

/** How an accepted asynchronous cancel ends; `never` keeps the intent PROCESSING (→ STUCK). */
export type AsyncEnd = "CANCELLED" | "COMPLETED" | "FAILED" | "never";

export interface ModelIntent {
  id: string;
  status: string;
  /** PROCESSING: the e-commerce order shipped, a cancel fails with 50003 (goods on their way). */
  shipped: boolean;
  asyncEnd: AsyncEnd;
  asyncDelayMs: number;
  cancelRequestedAt?: number;
  createdAt: string;
  cancelEffects: number;
}

export interface ModelCharge {
  chargeUuid: string;
  walletUuid: string;
  status: "pending" | "settled" | "canceled";
  cancelEffects: number;
}

/** The faults of the calls to come, taken in order; once used up every call is `ok`. */
export class FaultPlan {
  readonly #faults: Fault[] = [];
  next(): Fault {
    return this.#faults.shift() ?? "ok";
  }
  /** From now on, these (an outage starting, say); what was left of the previous ones is dropped. */
  set(faults: readonly Fault[]): void {
    this.#faults.splice(0, this.#faults.length, ...faults);
  }
  clear(): void {
    this.#faults.length = 0;
  }
}

const meta = { httpStatus: 200, latencyMs: 1, attempts: 1 };

const unavailable = (upstream: "procure-core" | "a55", what: string) =>
  new UpstreamError({ upstream, retryable: true, message: `${what}: 503`, httpStatus: 503, attempts: 1 });

/** Procure-Core's seed contract over a map, with faults and asynchronous cancels on the model's clock. */
export class ModelProcureCore implements IntentsUpstream {
  readonly intents = new Map<string, ModelIntent>();
  credentialsRefused = false;
  readonly #clock: Clock;
  readonly #faults: FaultPlan;

  constructor(clock: Clock, faults: FaultPlan) {
    this.#clock = clock;
    this.#faults = faults;
  }

  /** The intent as of now: an accepted asynchronous cancel ends once its delay has passed. */
  settled(id: string): ModelIntent | undefined {
    const intent = this.intents.get(id);
    if (
      intent?.status === "PROCESSING" &&
      intent.cancelRequestedAt !== undefined &&
      intent.asyncEnd !== "never"
    ) {
      if (this.#clock.now() >= intent.cancelRequestedAt + intent.asyncDelayMs) {
        intent.status = intent.asyncEnd;
        intent.cancelRequestedAt = undefined;
      }
    }
    return intent;
  }

  /** The business moves on by itself: a SUBMITTED intent is picked up; a PROCESSING one (no cancel asked) completes. */
  progress(id: string): void {
    const intent = this.settled(id);
    if (intent?.status === "SUBMITTED") intent.status = "PROCESSING";
    else if (intent?.status === "PROCESSING" && intent.cancelRequestedAt === undefined && !intent.shipped) {
      intent.status = "COMPLETED";
    }
  }

  #gate(what: string): Fault {
    if (this.credentialsRefused) {
      throw new UpstreamAuthError({
        upstream: "procure-core",
        retryable: false,
        message: `${what}: 401`,
        httpStatus: 401,
      });
    }
    const fault = this.#faults.next();
    if (fault === "budget-refused") throw budgetRefused("procure-core", what);
    if (fault === "unavailable") throw unavailable("procure-core", what);
    if (fault === "rate-limited") {
      throw new UpstreamRateLimitedError({
        upstream: "procure-core",
        message: `${what}: 429`,
        retryAfterSeconds: 1,
        source: "upstream",
      });
    }
    return fault;
  }

  async cancelIntent(id: string): Promise<IntentCancelResult> {
    const fault = this.#gate("cancel");
    const answer = this.#cancel(id);
    if (fault === "lost") throw unavailable("procure-core", "cancel (answer lost)");
    return answer;
  }

  #cancel(id: string): IntentCancelResult {
    const intent = this.settled(id);
    if (!intent)
      return {
        kind: "not-found",
        message: "采购意图不存在",
        meta: { ...meta, httpStatus: 404, code: 40401 },
      };
    if (intent.status === "SUBMITTED") {
      intent.status = "CANCELLED";
      intent.cancelEffects++;
      return { kind: "accepted", intent: view(intent), meta: { ...meta, code: 0 } };
    }
    if (intent.status === "PROCESSING") {
      if (intent.cancelRequestedAt !== undefined) {
        return { kind: "accepted", intent: view(intent), meta: { ...meta, code: 0 } };
      }
      if (intent.shipped) {
        return {
          kind: "cancel-failed",
          reason: "电商平台订单已发货,无法取消",
          meta: { ...meta, httpStatus: 500, code: 50003 },
        };
      }
      intent.cancelRequestedAt = this.#clock.now();
      intent.cancelEffects++;
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
    const fault = this.#gate("read");
    if (fault === "lost") throw unavailable("procure-core", "read (answer lost)");
    const intent = this.settled(id);
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
    this.#gate("list");
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? 20;
    const all = [...this.intents.keys()]
      .map((id) => this.settled(id) as ModelIntent)
      .filter((intent) => !query.status || intent.status === query.status)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    const items = all
      .slice((page - 1) * pageSize, page * pageSize)
      .map((i) => ({ ...view(i), createdAt: i.createdAt }));
    return { items, total: all.length, page, pageSize };
  }
}

const view = (intent: ModelIntent): IntentView => ({
  id: intent.id,
  status: intent.status,
  updatedAt: intent.createdAt,
  cancelledAt: intent.status === "CANCELLED" ? intent.createdAt : null,
});

/** A55's seed contract over a map, with Idempotency-Key replay and faults. */
export class ModelA55 implements ChargesUpstream {
  readonly charges = new Map<string, ModelCharge>();
  readonly #replays = new Map<string, ChargeCancelResult>();
  credentialsRefused = false;
  readonly #faults: FaultPlan;

  constructor(faults: FaultPlan) {
    this.#faults = faults;
  }

  async cancelCharge(request: CancelChargeRequest): Promise<ChargeCancelResult> {
    if (this.credentialsRefused) {
      throw new UpstreamAuthError({
        upstream: "a55",
        retryable: false,
        message: "cancel: 401",
        httpStatus: 401,
      });
    }
    const fault = this.#faults.next();
    if (fault === "budget-refused") throw budgetRefused("a55", "cancel");
    if (fault === "unavailable") throw unavailable("a55", "cancel");
    if (fault === "rate-limited") {
      throw new UpstreamRateLimitedError({
        upstream: "a55",
        message: "cancel: 429",
        retryAfterSeconds: 2,
        source: "upstream",
      });
    }
    const answer = this.#replays.get(request.idempotencyKey) ?? this.#cancel(request);
    this.#replays.set(request.idempotencyKey, answer);
    if (fault === "lost") throw unavailable("a55", "cancel (answer lost)");
    return answer;
  }

  #cancel(request: CancelChargeRequest): ChargeCancelResult {
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
    charge.cancelEffects++;
    return {
      kind: "cancelled",
      charge: { chargeUuid: request.chargeUuid, walletUuid: request.walletUuid, status: "canceled" },
      meta,
    };
  }
}
