/**
 * Reads A55's answer to a charge cancel (seed 001) into a `ChargeCancelResult`. The
 * documented error body is `{charge_uuid, status: "error", message: [{code, source,
 * description}]}` (read by the dialect, a55-upstream.ts); a 409 is told apart by each
 * entry's code and description together (`conflictKindOf`). Anything outside the contract
 * (unknown status, a 409 that is not clearly one documented case, a body that is not the
 * documented one) and 5xx answers left when attempts or time ran out are thrown as
 * `UpstreamError`: an operational failure, retried and alarmed, never stored as an outcome.
 */
import * as v from "valibot";
import type { Answered } from "#adapters/http/exchange-types.ts";
import { isRetryableStatus } from "#adapters/http/retry-policy.ts";
import type { UpstreamExchange } from "#adapters/http/upstream-exchange.ts";
import { upstreamToken } from "#adapters/validation/upstream-text.ts";
import type { A55ErrorDetail, ChargeCancelResult } from "#core/ports.ts";
import type { A55Body } from "./a55-upstream.ts";

const successBodySchema = v.object({
  charge_uuid: upstreamToken(),
  wallet_uuid: upstreamToken(),
  status: upstreamToken(),
});

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

/**
 * Interprets the final answer of a cancel (the exchange has already turned a 429 and a
 * second 401 into errors). Throws `UpstreamError` outside the contract.
 */
export const interpretCancelAnswer = (
  answered: Answered<A55Body>,
  exchange: UpstreamExchange<"a55", A55Body>,
): ChargeCancelResult => {
  const { answer } = answered;
  const { errors } = answer.body;
  const meta = exchange.metaOf(answered);
  const outsideContract = (what: string) =>
    exchange.failure(answered, {
      retryable: false,
      message: `A55 answered HTTP ${answer.status} with ${what}`,
    });

  if (answer.status >= 200 && answer.status < 300) {
    const success = v.safeParse(successBodySchema, answer.body.json);
    if (success.success && /^cancel+ed$/i.test(success.output.status)) {
      const { charge_uuid, wallet_uuid, status } = success.output;
      return {
        kind: "cancelled",
        charge: { chargeUuid: charge_uuid, walletUuid: wallet_uuid, status },
        meta: { ...meta, message: status },
      };
    }
    throw outsideContract("a success without a canceled charge");
  }
  if (isRetryableStatus(answer.status)) {
    throw exchange.failure(answered, {
      retryable: true,
      message: `A55 answered HTTP ${answer.status}${meta.code ? ` ${meta.code}` : ""} after ${answered.attempts} attempt(s)`,
    });
  }
  if (!errors) throw outsideContract("a body that is not A55's error body");

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
      throw outsideContract("a 409 whose codes and descriptions name no one documented case");
    }
    default:
      throw outsideContract("an undocumented status");
  }
};
