/**
 * Reads A55's answer to a charge cancel (seed 001) into a `ChargeCancelResult`. The
 * documented error body is `{charge_uuid, status: "error", message: [{code, source,
 * description}]}`; a 409 is told apart by each entry's code and description together
 * (`conflictKindOf`). Anything outside the contract (unknown status, a 409 that is not
 * clearly one documented case, a body that is not the documented one) and 5xx answers
 * left after the retry budget are thrown as `UpstreamError`: an operational failure,
 * retried and alarmed, never stored as an outcome. A 429 left is
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

// Seed 001: 409 means "already canceled or settled"; its one example body is
// CANCEL_NOT_ALLOWED + "Charge has already been settled and cannot be cancelled. Use
// refund instead." A reused Idempotency-Key is also a 409 (the sandbox's spelling first).
type ConflictKind = "refund-required" | "already-cancelled" | "idempotency-key-reused";

/** Codes that name one case; the description must not name another. */
const CONFLICT_CODES = new Map<string, ConflictKind>([
  ["CHARGE_SETTLED", "refund-required"],
  ["ALREADY_SETTLED", "refund-required"],
  ["ALREADY_CANCELED", "already-cancelled"],
  ["ALREADY_CANCELLED", "already-cancelled"],
  ["CHARGE_ALREADY_CANCELED", "already-cancelled"],
  ["CHARGE_ALREADY_CANCELLED", "already-cancelled"],
  ["IDEMPOTENCY_KEY_REUSED", "idempotency-key-reused"],
  ["IDEMPOTENCY_KEY_MISMATCH", "idempotency-key-reused"],
  ["IDEMPOTENCY_KEY_CONFLICT", "idempotency-key-reused"],
]);

/** The seed's code for "the cancel is not allowed": only its description says why. */
const NOT_ALLOWED_CODE = "CANCEL_NOT_ALLOWED";

/**
 * What a description says. "cannot be cancelled" alone says nothing (the settled example
 * holds it too), and "refunded" is not "settled" (a refunded charge needs no refund).
 */
const DESCRIPTION_CLUES: [ConflictKind, RegExp][] = [
  ["refund-required", /\bsettled\b|\buse\s+(?:a\s+)?refund\b|\brefund\s+instead\b/i],
  ["already-cancelled", /\balready\s+(?:been\s+)?cancell?ed\b/i],
  ["idempotency-key-reused", /idempotency[\s_-]*key/i],
];

/**
 * The one case an error entry names, by its code and its description together, or
 * undefined when they name none or disagree. `CANCEL_NOT_ALLOWED` takes its case from the
 * description (settled, or already canceled); a specific code holds unless the
 * description names another case.
 */
const conflictKindOf = ({ code, description }: A55ErrorDetail): ConflictKind | undefined => {
  const said = DESCRIPTION_CLUES.filter(([, clue]) => clue.test(description)).map(([kind]) => kind);
  if (said.length > 1) return undefined;
  const upper = code.toUpperCase();
  if (upper === NOT_ALLOWED_CODE) return said[0] === "idempotency-key-reused" ? undefined : said[0];
  const byCode = CONFLICT_CODES.get(upper);
  return byCode !== undefined && (said.length === 0 || said[0] === byCode) ? byCode : undefined;
};

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
      // Every entry must name the same case: money is never moved on a guess.
      const kinds = new Set(errors.map(conflictKindOf));
      const [kind] = kinds;
      if (kinds.size === 1 && kind !== undefined) return { kind, errors, meta };
      throw outsideContract(409, meta, "a 409 whose codes and descriptions name no one documented case");
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
