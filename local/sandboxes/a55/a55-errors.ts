/**
 * A55's documented error body, `{charge_uuid, status: "error", message: [{code, source,
 * description}]}`, and the codes the sandbox answers with. `CANCEL_NOT_ALLOWED` is the
 * seed's own example, word for word; the other codes are the sandbox's choice (the seed
 * documents the statuses, not their codes).
 */

export interface A55Error {
  code: string;
  source: string;
  description: string;
}

export interface A55ErrorBody {
  charge_uuid: string | null;
  status: "error";
  message: A55Error[];
}

export const a55ErrorBody = (chargeUuid: string | null, errors: A55Error[]): A55ErrorBody => ({
  charge_uuid: chargeUuid,
  status: "error",
  message: errors,
});

/** The seed's documented 409 for a settled charge, exactly. */
export const SETTLED_ERROR: A55Error = {
  code: "CANCEL_NOT_ALLOWED",
  source: "charge",
  description: "Charge has already been settled and cannot be cancelled. Use refund instead.",
};

export const ALREADY_CANCELED_ERROR: A55Error = {
  code: "ALREADY_CANCELED",
  source: "charge",
  description: "Charge has already been canceled.",
};

export const IDEMPOTENCY_KEY_REUSED_ERROR: A55Error = {
  code: "IDEMPOTENCY_KEY_REUSED",
  source: "idempotency_key",
  description: "This Idempotency-Key was already used with a different request.",
};

export const notCancellableError = (status: string): A55Error => ({
  code: "CHARGE_NOT_CANCELLABLE",
  source: "charge",
  description: `Charge is ${status} and cannot be cancelled.`,
});

export const UNAUTHORIZED_ERRORS = {
  missing: { code: "UNAUTHORIZED", source: "authorization", description: "A Bearer token is required." },
  invalid: { code: "INVALID_TOKEN", source: "authorization", description: "The Bearer token is invalid." },
  expired: { code: "TOKEN_EXPIRED", source: "authorization", description: "The Bearer token has expired." },
} as const satisfies Record<string, A55Error>;

export const WALLET_FORBIDDEN_ERROR: A55Error = {
  code: "WALLET_ACCESS_DENIED",
  source: "wallet",
  description: "The token has no permission on this wallet.",
};

export const WALLET_NOT_FOUND_ERROR: A55Error = {
  code: "WALLET_NOT_FOUND",
  source: "wallet",
  description: "Wallet not found.",
};

export const CHARGE_NOT_FOUND_ERROR: A55Error = {
  code: "CHARGE_NOT_FOUND",
  source: "charge",
  description: "Charge not found in this wallet.",
};

export const RATE_LIMITED_ERROR: A55Error = {
  code: "RATE_LIMITED",
  source: "rate_limit",
  description: "Rate limit exceeded. Retry after the number of seconds in Retry-After.",
};

export const INTERNAL_ERROR: A55Error = {
  code: "INTERNAL_ERROR",
  source: "server",
  description: "Internal server error. Retry with exponential backoff.",
};

export const validationError = (source: string, description: string): A55Error => ({
  code: "VALIDATION_ERROR",
  source,
  description,
});
