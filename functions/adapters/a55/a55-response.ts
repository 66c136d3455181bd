/**
 * Reads A55's answer to a charge cancel (seed 001) into a `ChargeCancelResult`. The
 * documented error body is `{charge_uuid, status: "error", message: [{code, source,
 * description}]}`; a 409 is told apart by `message[].code`. Anything outside the contract
 * (unknown status, unknown 409 code, a body that is not the documented one) and 5xx
 * answers left after the retry budget are thrown as `UpstreamError`; a 429 left is
 * `UpstreamRateLimitedError` with A55's own `Retry-After`.
 */
import * as v from "valibot";
import { UpstreamAuthError, UpstreamError, UpstreamRateLimitedError } from "#core/errors.ts";
import type { A55ErrorDetail, ChargeCancelResult, UpstreamMeta } from "#core/ports.ts";
import { readRateLimit, retryAfterMsOf } from "../http/rate-limit-headers.ts";
import { isRetryableStatus } from "../http/retry-policy.ts";
import type { HttpAnswer } from "./a55-http.ts";

const errorDetailSchema = v.object({
  code: v.pipe(v.string(), v.minLength(1)),
  source: v.optional(v.string(), ""),
  description: v.optional(v.string(), ""),
});

const errorBodySchema = v.object({
  status: v.literal("error"),
  message: v.array(errorDetailSchema),
});

const successBodySchema = v.object({
  charge_uuid: v.string(),
  wallet_uuid: v.string(),
  status: v.string(),
});

const requestIdSchema = v.object({ request_id: v.string() });

// Spellings seen for the same meaning; the sandbox uses the first of each.
const KEY_REUSED_CODES = new Set([
  "IDEMPOTENCY_KEY_REUSED",
  "IDEMPOTENCY_KEY_MISMATCH",
  "IDEMPOTENCY_KEY_CONFLICT",
]);
const SETTLED_CODES = new Set(["CANCEL_NOT_ALLOWED", "CHARGE_SETTLED", "ALREADY_SETTLED"]);
const ALREADY_CANCELLED_CODES = new Set([
  "ALREADY_CANCELED",
  "ALREADY_CANCELLED",
  "CHARGE_ALREADY_CANCELED",
  "CHARGE_ALREADY_CANCELLED",
]);

/** How the answer was obtained, for `meta`. */
export interface AnswerContext {
  attempts: number;
  latencyMs: number;
  now: number;
}

/** Interprets the final answer of a cancel. Throws `UpstreamError` outside the contract. */
export const interpretCancelAnswer = (answer: HttpAnswer, context: AnswerContext): ChargeCancelResult => {
  const json = parseJson(answer.text);
  const errorBody = v.safeParse(errorBodySchema, json);
  const errors: A55ErrorDetail[] | undefined = errorBody.success ? errorBody.output.message : undefined;
  const meta = buildMeta(answer, json, errors, context);

  if (answer.status >= 200 && answer.status < 300) {
    const success = v.safeParse(successBodySchema, json);
    if (success.success && /^cancel+ed$/i.test(success.output.status)) {
      const { charge_uuid, wallet_uuid, status } = success.output;
      return {
        kind: "cancelled",
        charge: { chargeUuid: charge_uuid, walletUuid: wallet_uuid, status },
        meta: { ...meta, message: status },
      };
    }
    throw outsideContract(answer.status, meta, "a success without a canceled charge");
  }
  if (answer.status === 429) {
    // Still 429 when retries or time ran out: A55's own Retry-After is what the caller is told.
    const retryAfterMs = retryAfterMsOf(answer.headers, context.now);
    throw new UpstreamRateLimitedError({
      upstream: "a55",
      retryable: true,
      source: "upstream",
      retryAfterSeconds: retryAfterMs === undefined ? 1 : retryAfterMs / 1000,
      message: `A55 answered HTTP 429${meta.code ? ` ${meta.code}` : ""} after ${context.attempts} attempt(s)`,
      ...upstreamFields(meta),
    });
  }
  if (isRetryableStatus(answer.status)) {
    throw new UpstreamError({
      upstream: "a55",
      retryable: true,
      message: `A55 answered HTTP ${answer.status}${meta.code ? ` ${meta.code}` : ""} after ${context.attempts} attempt(s)`,
      ...upstreamFields(meta),
    });
  }
  if (answer.status === 401) {
    throw new UpstreamAuthError({
      upstream: "a55",
      retryable: false,
      message: "A55 rejected the bearer token, also after renewing it",
      ...upstreamFields(meta),
    });
  }
  if (!errors) throw outsideContract(answer.status, meta, "a body that is not A55's error body");

  switch (answer.status) {
    case 400:
      return { kind: "not-cancellable", errors, meta };
    case 403:
      return { kind: "forbidden", errors, meta };
    case 404:
      return { kind: "not-found", errors, meta };
    case 422:
      return { kind: "invalid", errors, meta };
    case 409: {
      const codes = errors.map((error) => error.code.toUpperCase());
      // The reuse check comes first: then A55 did not look at the charge at all.
      if (codes.some((code) => KEY_REUSED_CODES.has(code)))
        return { kind: "idempotency-key-reused", errors, meta };
      if (codes.some((code) => SETTLED_CODES.has(code))) return { kind: "refund-required", errors, meta };
      if (codes.some((code) => ALREADY_CANCELLED_CODES.has(code)))
        return { kind: "already-cancelled", errors, meta };
      throw outsideContract(409, meta, "a 409 with an unknown code");
    }
    default:
      throw outsideContract(answer.status, meta, "an undocumented status");
  }
};

const buildMeta = (
  answer: HttpAnswer,
  json: unknown,
  errors: A55ErrorDetail[] | undefined,
  context: AnswerContext,
): UpstreamMeta => {
  const bodyRequestId = v.safeParse(requestIdSchema, json);
  const requestId =
    answer.headers.get("x-request-id") ??
    (bodyRequestId.success ? bodyRequestId.output.request_id : undefined);
  const rateLimit = readRateLimit(answer.headers, context.now);
  const first = errors?.[0];
  return {
    httpStatus: answer.status,
    ...(first ? { code: first.code, message: first.description } : {}),
    ...(requestId ? { requestId } : {}),
    ...(rateLimit ? { rateLimit } : {}),
    latencyMs: context.latencyMs,
    attempts: context.attempts,
  };
};

const upstreamFields = (meta: UpstreamMeta) => ({
  httpStatus: meta.httpStatus,
  code: meta.code,
  upstreamMessage: meta.message,
  requestId: meta.requestId,
  attempts: meta.attempts,
});

const outsideContract = (status: number, meta: UpstreamMeta, what: string): UpstreamError =>
  new UpstreamError({
    upstream: "a55",
    retryable: false,
    message: `A55 answered HTTP ${status} with ${what}`,
    ...upstreamFields(meta),
  });

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};
