/**
 * The upstreams as in-memory fakes for the core's use-case tests: Procure-Core's cancel
 * rules over a map (PROCESSING cancels finish when `finishPending()` is called) and A55's
 * charge rules with Idempotency-Key replay. Each counts its calls and real effects.
 */
import type { IntentView } from "#core/outcome.ts";
import type {
  CancelChargeRequest,
  ChargeCancelResult,
  ChargesUpstream,
  IntentCancelResult,
  IntentDetails,
  IntentPage,
  IntentReadResult,
  IntentsUpstream,
  ListIntentsQuery,
} from "#core/ports.ts";

export interface FakeIntent extends IntentDetails {
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
