import { describe, expect, it } from "vitest";
import { chargeOutcome, chargeTarget } from "#core/cancel-charge.ts";
import { ValidationError } from "#core/errors.ts";
import { failureFrom } from "#core/upstream-failure.ts";
import { chargeResponse } from "#handlers/http/outcome-responses.ts";

/**
 * The charge route's answer to a failure that will not change (seed 001 tells clients to
 * retry a 500, so it is never 500): A55's own entries pass through, as 422 for its
 * validation refusal and 502 for any other final refusal.
 */
const CHARGE = "a1b2c3d4-e5f6-7890-abcd-ef1234567890";
const WALLET = "f47ac10b-58cc-4372-a567-0e02b2c3d479";
const target = chargeTarget({ chargeUuid: CHARGE, walletUuid: WALLET });
const meta = (httpStatus: number) => ({ httpStatus, latencyMs: 3, attempts: 1, requestId: "req-1" });
const render = chargeResponse(CHARGE, WALLET);
const bodyOf = (response: { body?: string }) => JSON.parse(response.body ?? "null");

describe("chargeResponse: final failures", () => {
  it("A55's 422 passes through as 422 with every one of its entries", () => {
    // Prepare
    const errors = [
      { code: "VALIDATION_ERROR", source: "reason", description: "reason must be at most 200 characters." },
      {
        code: "VALIDATION_ERROR",
        source: "idempotency_key",
        description: "Idempotency-Key must be a UUID v4.",
      },
    ];
    const outcome = chargeOutcome(target, { kind: "invalid", errors, meta: meta(422) });

    // Act
    const response = render(outcome);

    // Assess
    expect(outcome).toMatchObject({ type: "FAILED", retryable: false, upstreamErrors: errors });
    expect(response.statusCode).toBe(422);
    expect(bodyOf(response)).toEqual({ charge_uuid: CHARGE, status: "error", message: errors });
  });

  it("a key A55 says was reused is 502 with A55's entry", () => {
    const errors = [
      {
        code: "IDEMPOTENCY_KEY_REUSED",
        source: "idempotency_key",
        description: "This Idempotency-Key was already used with a different request.",
      },
    ];
    const outcome = chargeOutcome(target, { kind: "idempotency-key-reused", errors, meta: meta(409) });

    const response = render(outcome);

    expect(outcome).toMatchObject({ type: "FAILED", retryable: false, upstreamErrors: errors });
    expect(response.statusCode).toBe(502);
    expect(bodyOf(response)).toEqual({ charge_uuid: CHARGE, status: "error", message: errors });
  });

  it("a final refusal without A55's entries is 502 BAD_GATEWAY with the reason", () => {
    const response = render({ type: "FAILED", target, retryable: false, reason: "x", upstream: meta(409) });

    expect(response.statusCode).toBe(502);
    expect(bodyOf(response).message).toEqual([{ code: "BAD_GATEWAY", source: "upstream", description: "x" }]);
  });

  it("a request refused before anything was sent is 422 VALIDATION_ERROR", () => {
    const outcome = failureFrom(target, new ValidationError("reason", "reason must be a string when given"));

    const response = render(outcome);

    expect(response.statusCode).toBe(422);
    expect(bodyOf(response).message).toEqual([
      {
        code: "VALIDATION_ERROR",
        source: "request",
        description: "reason: reason must be a string when given",
      },
    ]);
  });
});
