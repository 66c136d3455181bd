/**
 * `POST /api/v1/bank/wallet/charge/{charge_uuid}/cancel/{wallet_uuid}/`, after the
 * bearer token and the rate limit have been checked. Order of checks: Idempotency-Key
 * shape, a UUID v4 as seed 001 asks (422) → replay or key reuse (409) → path ids, content type and body (422) →
 * wallet scope (403) → wallet and charge (404) → the charge's state (200/409/400).
 * Everything from the path checks on is kept for replay under the key.
 */
import type { EffectCounter, SandboxRequest } from "../sandbox-server.ts";
import {
  type A55Error,
  ALREADY_CANCELED_ERROR,
  a55ErrorBody,
  CHARGE_NOT_FOUND_ERROR,
  IDEMPOTENCY_KEY_REUSED_ERROR,
  notCancellableError,
  SETTLED_ERROR,
  validationError,
  WALLET_FORBIDDEN_ERROR,
  WALLET_NOT_FOUND_ERROR,
} from "./a55-errors.ts";
import type { ChargeStore } from "./charge-store.ts";
import { type IdempotencyReplay, requestFingerprint, type StoredAnswer } from "./idempotency-replay.ts";
import type { TokenOwner } from "./token-issuer.ts";
import { isUuidShape, isUuidV4Shape } from "./uuid-shape.ts";

/** The cancel route. Only this exact shape, trailing slash included, is served. */
export const CANCEL_PATH = /^\/api\/v1\/bank\/wallet\/charge\/([^/]+)\/cancel\/([^/]+)\/$/;

/** `reason` is for reconciliation; the sandbox caps it, in characters (code points). */
export const MAX_REASON_LENGTH = 500;

export interface CancelContext {
  store: ChargeStore;
  replay: IdempotencyReplay;
  effects: EffectCounter;
  now: () => number;
}

export interface CancelAnswer extends StoredAnswer {
  replayed: boolean;
}

/** Handles one cancel request of an authenticated client. */
export const handleCancel = (
  context: CancelContext,
  request: SandboxRequest,
  owner: TokenOwner,
  chargeSegment: string,
  walletSegment: string,
): CancelAnswer => {
  const key = request.header("idempotency-key");
  if (key !== undefined && !isUuidV4Shape(key.trim())) {
    const error = validationError("idempotency_key", "Idempotency-Key must be a UUID v4.");
    return { status: 422, body: a55ErrorBody(chargeSegment, [error]), replayed: false };
  }
  const fingerprint = key ? requestFingerprint(request.method, request.path, request.rawBody) : "";
  if (key) {
    const found = context.replay.lookup(owner.clientId, key.trim(), fingerprint);
    if (found.kind === "replay") return { ...found.answer, replayed: true };
    if (found.kind === "mismatch") {
      return {
        status: 409,
        body: a55ErrorBody(chargeSegment, [IDEMPOTENCY_KEY_REUSED_ERROR]),
        replayed: false,
      };
    }
  }
  const answer = decide(context, request, owner, chargeSegment, walletSegment);
  if (key) context.replay.remember(owner.clientId, key.trim(), fingerprint, answer);
  return { ...answer, replayed: false };
};

const decide = (
  context: CancelContext,
  request: SandboxRequest,
  owner: TokenOwner,
  chargeSegment: string,
  walletSegment: string,
): StoredAnswer => {
  const fail = (status: number, error: A55Error): StoredAnswer => ({
    status,
    body: a55ErrorBody(chargeSegment, [error]),
  });
  const parsed = parseInput(request, chargeSegment, walletSegment);
  if (parsed.errors.length > 0) return { status: 422, body: a55ErrorBody(chargeSegment, parsed.errors) };

  const walletUuid = walletSegment.toLowerCase();
  if (!owner.wallets.includes("*") && !owner.wallets.includes(walletUuid))
    return fail(403, WALLET_FORBIDDEN_ERROR);

  const decision = context.store.cancel(walletUuid, chargeSegment, parsed.reason, context.now());
  switch (decision.kind) {
    case "canceled":
      context.effects.record(decision.charge.chargeUuid);
      return {
        status: 200,
        body: {
          charge_uuid: decision.charge.chargeUuid,
          wallet_uuid: decision.charge.walletUuid,
          status: "canceled",
          message: {},
        },
      };
    case "wallet-not-found":
      return fail(404, WALLET_NOT_FOUND_ERROR);
    case "charge-not-found":
      return fail(404, CHARGE_NOT_FOUND_ERROR);
    case "settled":
      return fail(409, SETTLED_ERROR);
    case "already-canceled":
      return fail(409, ALREADY_CANCELED_ERROR);
    case "not-cancellable":
      return fail(400, notCancellableError(decision.charge.status));
  }
};

/** Every problem with the path ids and the body, so one 422 names them all. */
const parseInput = (
  request: SandboxRequest,
  chargeSegment: string,
  walletSegment: string,
): { errors: A55Error[]; reason?: string } => {
  const errors: A55Error[] = [];
  if (!isUuidShape(chargeSegment)) errors.push(validationError("charge_uuid", "charge_uuid must be a UUID."));
  if (!isUuidShape(walletSegment)) errors.push(validationError("wallet_uuid", "wallet_uuid must be a UUID."));
  // The body is optional (so is `reason`); an empty one needs no content type.
  if (request.rawBody.trim() === "") return { errors };

  if (!/^application\/json\b/i.test(request.header("content-type") ?? "")) {
    errors.push(validationError("content_type", "Content-Type must be application/json."));
    return { errors };
  }
  let body: unknown;
  try {
    body = JSON.parse(request.rawBody);
  } catch {
    errors.push(validationError("body", "The body must be a JSON object."));
    return { errors };
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    errors.push(validationError("body", "The body must be a JSON object."));
    return { errors };
  }
  if (!("reason" in body)) return { errors };
  const reason = (body as { reason: unknown }).reason;
  if (typeof reason !== "string") {
    errors.push(validationError("reason", "reason must be a string."));
  } else if ([...reason].length > MAX_REASON_LENGTH) {
    errors.push(validationError("reason", `reason must be at most ${MAX_REASON_LENGTH} characters.`));
  } else {
    return { errors, reason };
  }
  return { errors };
};
