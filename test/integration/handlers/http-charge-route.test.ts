import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { UNAUTHENTICATED_MESSAGE } from "#handlers/http/error-response.ts";
import { A55_DEMO_OTHER_WALLET, A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";
import { DEMO_WALLET_TOKEN_ID, type HandlerKit, startHandlerKit } from "#test/support/handler-kit.ts";
import { forceUpstreamKey, keySpentAtA55, NOT_V4_KEY } from "#test/support/upstream-key.ts";

/** Seed 001's route, served by the exported HTTP handler end to end. */
describe("http-api handler: POST /api/v1/bank/wallet/charge/{charge_uuid}/cancel/{wallet_uuid}/", () => {
  let kit: HandlerKit;

  beforeAll(async () => {
    kit = await startHandlerKit({ name: "http-charge", dynamoEndpoint: inject("dynamoEndpoint") });
  });
  afterAll(async () => {
    await kit?.close();
  });

  const chargePath = (charge: string, wallet: string, slash = "/"): string =>
    `/api/v1/bank/wallet/charge/${charge}/cancel/${wallet}${slash}`;
  const cancel = (charge: string, wallet = A55_DEMO_WALLET, extra: { token?: string; body?: string } = {}) =>
    kit.http(
      kit.bearer({
        method: "POST",
        path: chargePath(charge, wallet),
        body: extra.body ?? JSON.stringify({ reason: "客户在发货前要求取消" }),
        ...(extra.token === undefined ? {} : { token: extra.token }),
      }),
    );
  const a55Error = (charge: string | null, code: string, source: string, description: string) => ({
    charge_uuid: charge,
    status: "error",
    message: [{ code, source, description }],
  });

  it.each([
    ["with", "/"],
    ["without", ""],
  ])("cancellable, %s the trailing slash: 200 with the seed's success body", async (_label, slash) => {
    // Prepare
    const charge = kit.newCharge("pending");

    // Act
    const response = await kit.http(
      kit.bearer({
        method: "POST",
        path: chargePath(charge, A55_DEMO_WALLET, slash),
        body: JSON.stringify({ reason: "客户在发货前要求取消" }),
      }),
    );

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).toEqual({
      charge_uuid: charge,
      wallet_uuid: A55_DEMO_WALLET,
      status: "canceled",
      message: {},
    });
    expect(kit.a55.effects.count(charge)).toBe(1);
    expect(kit.a55.charges.get(charge)).toMatchObject({
      status: "canceled",
      cancelReason: "客户在发货前要求取消",
    });
    const [record, ...older] = await kit.audit({ type: "charge", id: charge });
    expect(older).toEqual([]);
    expect(record).toMatchObject({
      target: { type: "charge", id: charge, walletUuid: A55_DEMO_WALLET },
      trigger: "http",
      actor: DEMO_WALLET_TOKEN_ID,
      outcome: "CANCELLED",
      reason: "客户在发货前要求取消",
      upstream: { httpStatus: 200 },
    });
    expect(
      (await kit.announced()).filter((e) => e.detail.target.id === charge).map((e) => e.detailType),
    ).toEqual(["Cancellation Succeeded"]);
  });

  it("settled: 409 CANCEL_NOT_ALLOWED with the seed's exact description, and a Refund Required event", async () => {
    const charge = kit.newCharge("settled");

    const response = await cancel(charge);

    expect(response.statusCode).toBe(409);
    expect(response.body).toEqual(
      a55Error(
        charge,
        "CANCEL_NOT_ALLOWED",
        "charge",
        "Charge has already been settled and cannot be cancelled. Use refund instead.",
      ),
    );
    expect(kit.a55.effects.count(charge)).toBe(0);
    expect((await kit.audit({ type: "charge", id: charge })).map((r) => r.outcome)).toEqual([
      "REFUND_REQUIRED",
    ]);
    expect(
      (await kit.announced()).filter((e) => e.detail.target.id === charge).map((e) => e.detailType),
    ).toEqual(["Refund Required"]);
  });

  it("already canceled: 409", async () => {
    const charge = kit.newCharge("canceled");

    const response = await cancel(charge);

    expect(response.statusCode).toBe(409);
    expect(response.body).toEqual(
      a55Error(charge, "ALREADY_CANCELED", "charge", "Charge has already been canceled."),
    );
    expect(kit.a55.effects.count(charge)).toBe(0);
  });

  it("refunded (not cancellable): 400", async () => {
    const charge = kit.newCharge("refunded");

    const response = await cancel(charge);

    expect(response.statusCode).toBe(400);
    expect(response.body).toEqual(
      a55Error(
        charge,
        "INVALID_STATE",
        "charge",
        "CHARGE_NOT_CANCELLABLE: Charge is refunded and cannot be cancelled.",
      ),
    );
    expect(kit.a55.charges.get(charge)?.status).toBe("refunded");
  });

  it("wallet outside the client token's scope: 403 before anything is sent upstream", async () => {
    const charge = kit.newCharge("pending", A55_DEMO_OTHER_WALLET);
    const seenBefore = kit.a55.seen().length;

    const response = await cancel(charge, A55_DEMO_OTHER_WALLET);

    expect(response.statusCode).toBe(403);
    expect(response.body).toEqual(
      a55Error(charge, "FORBIDDEN", "wallet-scope", "This client may not act on that wallet"),
    );
    expect(kit.a55.seen().length).toBe(seenBefore);
    expect(kit.a55.charges.get(charge)?.status).toBe("pending");
  });

  it("wallet in the client's scope but not the service's upstream token: 403 from upstream", async () => {
    const charge = kit.newCharge("pending", A55_DEMO_OTHER_WALLET);
    const seenBefore = kit.a55.seen().length;

    const response = await cancel(charge, A55_DEMO_OTHER_WALLET, { token: kit.wideClientToken });

    expect(response.statusCode).toBe(403);
    expect(response.body).toEqual(
      a55Error(
        charge,
        "FORBIDDEN",
        "wallet",
        "WALLET_ACCESS_DENIED: The token has no permission on this wallet.",
      ),
    );
    expect(
      kit.a55
        .seen()
        .slice(seenBefore)
        .map((r) => r.status),
    ).toEqual([403]);
    expect(kit.a55.charges.get(charge)?.status).toBe("pending");
  });

  it("unknown charge: 404", async () => {
    const charge = "0a0a0a0a-0000-4000-8000-00000000dead";

    const response = await cancel(charge);

    expect(response.statusCode).toBe(404);
    expect(response.body).toEqual(
      a55Error(charge, "NOT_FOUND", "charge", "CHARGE_NOT_FOUND: Charge not found in this wallet."),
    );
  });

  it.each([
    ["charge_uuid", "not-a-uuid", A55_DEMO_WALLET, "charge_uuid must be a UUID"],
    ["wallet_uuid", "c0ffee00-0000-4000-8000-0000000000aa", "f47ac10b", "wallet_uuid must be a UUID"],
  ])("malformed %s: 422 naming the field", async (field, charge, wallet, description) => {
    const seenBefore = kit.a55.seen().length;

    const response = await cancel(charge, wallet);

    expect(response.statusCode).toBe(422);
    expect(response.body).toEqual(a55Error(charge, "VALIDATION_ERROR", field, description));
    expect(kit.a55.seen().length).toBe(seenBefore);
  });

  it.each([
    ["reason", JSON.stringify({ reason: 7 })],
    ["body", "{not json"],
  ])("bad body (%s): 422 naming the field, nothing sent", async (field, body) => {
    const charge = kit.newCharge("pending");

    const response = await cancel(charge, A55_DEMO_WALLET, { body });

    expect(response.statusCode).toBe(422);
    expect(response.body).toMatchObject({
      charge_uuid: charge,
      status: "error",
      message: [{ code: "VALIDATION_ERROR", source: field }],
    });
    expect(kit.a55.charges.get(charge)?.status).toBe("pending");
  });

  describe("A55 refuses the cancel for good: answers no seed-following client retries", () => {
    const cancelWithKey = (charge: string, key: string) =>
      kit.http(
        kit.bearer({
          method: "POST",
          path: chargePath(charge, A55_DEMO_WALLET),
          body: JSON.stringify({ reason: "客户在发货前要求取消" }),
          headers: { "idempotency-key": key },
        }),
      );

    it("A55's 422 passes through as 422 with A55's own entries, and is replayed", async () => {
      // Prepare: the service sends a key A55 refuses (a UUID v5)
      const charge = kit.newCharge("pending");
      const restore = forceUpstreamKey(kit.container, NOT_V4_KEY);
      try {
        // Act
        const first = await cancelWithKey(charge, "refused-422");
        const again = await cancelWithKey(charge, "refused-422");

        // Assess
        expect(first.statusCode).toBe(422);
        expect(first.body).toEqual(
          a55Error(charge, "VALIDATION_ERROR", "idempotency_key", "Idempotency-Key must be a UUID v4."),
        );
        expect(again).toMatchObject({ statusCode: 422, body: first.body });
        expect(again.headers["idempotent-replayed"]).toBe("true");
        expect(kit.a55.seen().filter((r) => r.path.includes(charge))).toHaveLength(1);
        expect(kit.a55.charges.get(charge)?.status).toBe("pending");
      } finally {
        restore();
      }
    });

    it("a key A55 says was reused: 502 with A55's own entries, not 500, and is replayed", async () => {
      // Prepare: the key the service sends was already spent on another charge
      const charge = kit.newCharge("pending");
      const restore = forceUpstreamKey(kit.container, await keySpentAtA55(kit));
      try {
        // Act
        const first = await cancelWithKey(charge, "refused-409");
        const again = await cancelWithKey(charge, "refused-409");

        // Assess
        expect(first.statusCode).toBe(502);
        expect(first.body).toEqual(
          a55Error(
            charge,
            "IDEMPOTENCY_KEY_REUSED",
            "idempotency_key",
            "This Idempotency-Key was already used with a different request.",
          ),
        );
        expect(again).toMatchObject({ statusCode: 502, body: first.body });
        expect(again.headers["idempotent-replayed"]).toBe("true");
        expect((await kit.audit({ type: "charge", id: charge })).map((r) => r.outcome)).toEqual(["FAILED"]);
      } finally {
        restore();
      }
    });
  });

  it("missing bearer: 401", async () => {
    const charge = kit.newCharge("pending");
    const event = kit.bearer({ method: "POST", path: chargePath(charge, A55_DEMO_WALLET) });
    delete event.headers.authorization;

    const response = await kit.http(event);

    expect(response.statusCode).toBe(401);
    expect(response.body).toEqual(a55Error(charge, "UNAUTHORIZED", "authorization", UNAUTHENTICATED_MESSAGE));
    expect(kit.a55.charges.get(charge)?.status).toBe("pending");
  });

  it("unknown bearer: 401", async () => {
    const charge = kit.newCharge("pending");

    const response = await cancel(charge, A55_DEMO_WALLET, { token: "sf_token_nobody_issued_this" });

    expect(response.statusCode).toBe(401);
    expect(response.body).toEqual(a55Error(charge, "UNAUTHORIZED", "authorization", UNAUTHENTICATED_MESSAGE));
    expect(kit.a55.charges.get(charge)?.status).toBe("pending");
  });
});
