/**
 * Outcomes as HTTP answers. The two seed routes answer exactly as their upstreams
 * document; the order route answers in this service's own shape (OpenAPI: docs/openapi.yaml).
 */
import type { CancelOutcome } from "#core/outcome.ts";
import type { OnceResult } from "#core/run-once.ts";
import { HttpProblem } from "./http-problem.ts";
import { a55ErrorBody, envelope, type HttpResponse, jsonResponse } from "./json-response.ts";

type Failed = Extract<CancelOutcome, { type: "FAILED" }>;

/**
 * How an operational (retryable) failure is answered: nothing was stored as its outcome,
 * so the caller is told to come back. A rate limit is 429 with the upstream's own
 * `Retry-After` (or the budget's); an upstream that is down or slow is 503; refused
 * credentials or an answer outside the contract are 502 (an operator must act).
 */
export const operationalAnswer = (
  outcome: Failed,
): { status: 429 | 502 | 503; headers: Record<string, string> } => {
  const retryAfter = { "retry-after": String(Math.max(1, Math.ceil(outcome.retryAfterSeconds ?? 1))) };
  switch (outcome.problem) {
    case "rate-limited":
      return { status: 429, headers: retryAfter };
    case "credentials-refused":
    case "contract-violation":
      return { status: 502, headers: {} };
    default:
      return { status: 503, headers: retryAfter };
  }
};

const PROCURE_CORE_OPERATIONAL: Record<429 | 502 | 503, [number, string]> = {
  429: [42900, "请求过于频繁,请稍后重试"],
  502: [50200, "上游服务错误"],
  503: [50300, "服务暂时不可用,请稍后重试"],
};

const A55_OPERATIONAL: Record<429 | 502 | 503, string> = {
  429: "RATE_LIMITED",
  502: "BAD_GATEWAY",
  503: "SERVICE_UNAVAILABLE",
};

/** In-progress and mismatched keys are refusals; an outcome gets the route's renderer and the replay header. */
export const respondToOnce = (
  result: OnceResult,
  render: (outcome: CancelOutcome) => HttpResponse,
): HttpResponse => {
  if (result.kind === "in-progress") {
    throw new HttpProblem("idempotency-in-progress", "A request with this Idempotency-Key is still running", {
      headers: { "retry-after": String(result.retryAfterSeconds) },
    });
  }
  if (result.kind === "payload-mismatch") {
    throw new HttpProblem("idempotency-mismatch", "This Idempotency-Key was used with another request");
  }
  const response = render(result.outcome);
  if (result.replayed) response.headers["idempotent-replayed"] = "true";
  return response;
};

/** Seed 000: `POST /api/v1/intents/{id}/cancel`. */
export const intentResponse = (outcome: CancelOutcome): HttpResponse => {
  switch (outcome.type) {
    case "CANCELLED":
    case "PENDING": {
      const intent = outcome.intent;
      const data = intent && {
        id: intent.id,
        status: intent.status,
        updatedAt: intent.updatedAt,
        cancelledAt: intent.cancelledAt,
      };
      return outcome.type === "CANCELLED"
        ? jsonResponse(200, envelope(0, "操作成功", data ?? null))
        : jsonResponse(202, envelope(0, "操作成功", data ?? null), {
            // Where to follow it: the intent's trail shows the continuation finishing it.
            location: `/api/v1/cancellations/intent/${encodeURIComponent(outcome.target.id)}`,
          });
    }
    case "ALREADY_CANCELLED":
      return jsonResponse(
        400,
        envelope(40003, "当前状态不允许取消", { currentStatus: "CANCELLED", reason: "已取消,不可重复取消" }),
      );
    case "NOT_CANCELLABLE":
      return jsonResponse(
        400,
        envelope(40003, "当前状态不允许取消", {
          currentStatus: outcome.currentStatus,
          reason: outcome.reason,
        }),
      );
    case "NOT_FOUND":
      return jsonResponse(404, envelope(40401, "采购意图不存在", null));
    case "FORBIDDEN":
      return jsonResponse(403, envelope(40301, "无权访问该资源", null));
    case "FAILED": {
      if (outcome.upstream?.code === 50003) {
        return jsonResponse(500, envelope(50003, "取消操作失败", { reason: outcome.reason }));
      }
      if (!outcome.retryable) {
        return jsonResponse(502, envelope(50200, "上游服务错误", { reason: outcome.reason }));
      }
      const { status, headers } = operationalAnswer(outcome);
      const [code, message] = PROCURE_CORE_OPERATIONAL[status];
      return jsonResponse(status, envelope(code, message, { reason: outcome.reason }), headers);
    }
    case "REFUND_REQUIRED":
      return jsonResponse(409, envelope(40900, "需要退款", { reason: outcome.reason }));
    case "REJECTED":
      return jsonResponse(400, envelope(40001, "请求参数错误", { reason: outcome.reason }));
  }
};

/**
 * A charge cancel that failed for good, answered so that no client retries it: never 500,
 * which seed 001 tells clients to retry with backoff. A55's validation refusal (its 422)
 * passes through as 422 with A55's own entries; a request refused before it was sent
 * (nothing reached A55) is a 422 of ours; any other final refusal by A55 (a reused
 * `Idempotency-Key`) is 502 with A55's own entries.
 */
const finalChargeFailure = (chargeUuid: string, outcome: Failed): HttpResponse => {
  const sentNothing = outcome.upstream?.httpStatus === undefined;
  const status = sentNothing || outcome.upstream?.httpStatus === 422 ? 422 : 502;
  const message = outcome.upstreamErrors?.length
    ? outcome.upstreamErrors
    : [
        status === 422
          ? { code: "VALIDATION_ERROR", source: "request", description: outcome.reason }
          : { code: "BAD_GATEWAY", source: "upstream", description: outcome.reason },
      ];
  return jsonResponse(status, { charge_uuid: chargeUuid, status: "error", message });
};

/** Seed 001: `POST /api/v1/bank/wallet/charge/{charge_uuid}/cancel/{wallet_uuid}/`. */
export const chargeResponse =
  (chargeUuid: string, walletUuid: string) =>
  (outcome: CancelOutcome): HttpResponse => {
    const error = (status: number, code: string, source: string, description: string, headers = {}) =>
      jsonResponse(status, a55ErrorBody(chargeUuid, code, source, description), headers);
    switch (outcome.type) {
      case "CANCELLED":
        return jsonResponse(200, {
          charge_uuid: chargeUuid,
          wallet_uuid: walletUuid,
          status: "canceled",
          message: {},
        });
      case "ALREADY_CANCELLED":
        return error(409, "ALREADY_CANCELED", "charge", "Charge has already been canceled.");
      case "REFUND_REQUIRED":
        return error(
          409,
          "CANCEL_NOT_ALLOWED",
          "charge",
          "Charge has already been settled and cannot be cancelled. Use refund instead.",
        );
      case "NOT_CANCELLABLE":
        return error(400, "INVALID_STATE", "charge", outcome.reason);
      case "FORBIDDEN":
        return error(403, "FORBIDDEN", "wallet", outcome.reason);
      case "NOT_FOUND":
        return error(404, "NOT_FOUND", "charge", outcome.reason);
      case "REJECTED":
        return error(422, "VALIDATION_ERROR", "request", outcome.reason);
      case "PENDING":
        return error(500, "INTERNAL_ERROR", "upstream", "pending");
      case "FAILED": {
        if (!outcome.retryable) return finalChargeFailure(chargeUuid, outcome);
        const { status, headers } = operationalAnswer(outcome);
        return error(status, A55_OPERATIONAL[status], "upstream", outcome.reason, headers);
      }
    }
  };

const ORDER_STATUS: Record<CancelOutcome["type"], number> = {
  CANCELLED: 200,
  ALREADY_CANCELLED: 200,
  REFUND_REQUIRED: 200,
  PENDING: 202,
  NOT_CANCELLABLE: 409,
  NOT_FOUND: 404,
  FORBIDDEN: 403,
  FAILED: 502,
  REJECTED: 400,
};

/** A flat, readable description of an outcome, without upstream internals. */
export const describeOutcome = (outcome: CancelOutcome): Record<string, unknown> => ({
  outcome: outcome.type,
  ...("reason" in outcome && { reason: outcome.reason }),
  ...(outcome.type === "NOT_CANCELLABLE" && { currentStatus: outcome.currentStatus, advice: outcome.advice }),
  ...(outcome.type === "FAILED" && { retryable: outcome.retryable }),
});

/** This service's own route: `POST /api/v1/orders/{orderId}/cancel`. */
export const orderResponse = (outcome: CancelOutcome): HttpResponse => {
  const operational = outcome.type === "FAILED" && outcome.retryable ? operationalAnswer(outcome) : undefined;
  const steps = outcome.steps;
  return jsonResponse(
    operational?.status ?? ORDER_STATUS[outcome.type],
    {
      orderId: outcome.target.id,
      ...describeOutcome(outcome),
      steps: {
        ...(steps?.intent && { intent: { id: steps.intent.target.id, ...describeOutcome(steps.intent) } }),
        ...(steps?.charge && { charge: { id: steps.charge.target.id, ...describeOutcome(steps.charge) } }),
        ...(steps?.chargeSkipped && { chargeSkipped: steps.chargeSkipped }),
      },
    },
    operational?.headers ??
      (outcome.type === "PENDING"
        ? { location: `/api/v1/orders/${encodeURIComponent(outcome.target.id)}/cancellation` }
        : {}),
  );
};
