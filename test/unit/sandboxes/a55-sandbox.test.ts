/**
 * The A55 sandbox over raw HTTP: token endpoint, routing, authentication, malformed input
 * (always a documented 4xx, never a 500), idempotency replay and injected faults.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type A55SandboxOptions,
  type RunningA55Sandbox,
  startA55Sandbox,
} from "#local/sandboxes/a55/a55-sandbox.ts";
import {
  A55_DEMO_CHARGES,
  A55_DEMO_OAUTH_CLIENT,
  A55_DEMO_OTHER_WALLET,
  A55_DEMO_STATIC_TOKEN,
  A55_DEMO_WALLET,
} from "#local/sandboxes/a55/demo-charges.ts";

const cancelPath = (
  charge: string = A55_DEMO_CHARGES.cancellable,
  wallet: string = A55_DEMO_WALLET,
): string => `/api/v1/bank/wallet/charge/${charge}/cancel/${wallet}/`;

interface Answer {
  status: number;
  headers: Headers;
  json: unknown;
}

describe("A55 sandbox", () => {
  let now: number;
  let sandbox: RunningA55Sandbox;

  const start = async (options: A55SandboxOptions = {}): Promise<void> => {
    await sandbox?.close();
    sandbox = await startA55Sandbox({ now: () => now, ...options });
  };

  const send = async (
    path: string,
    init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  ): Promise<Answer> => {
    const response = await fetch(`${sandbox.url}${path}`, { method: init.method ?? "POST", ...init });
    const text = await response.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {}
    return { status: response.status, headers: response.headers, json };
  };

  const cancel = (
    path: string = cancelPath(),
    headers: Record<string, string> = {},
    body = '{"reason":"test"}',
  ): Promise<Answer> =>
    send(path, {
      headers: {
        Authorization: `Bearer ${A55_DEMO_STATIC_TOKEN}`,
        "Content-Type": "application/json",
        ...headers,
      },
      body,
    });

  const token = (form: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> =>
    send("/oauth/token", {
      headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(form).toString(),
    });

  const errorBody = (chargeUuid: string | null, code: string, source?: string) => ({
    charge_uuid: chargeUuid,
    status: "error",
    message: [{ code, source: source ?? expect.any(String), description: expect.any(String) }],
  });

  beforeEach(async () => {
    now = 1_750_000_000_000;
    await start();
  });

  afterEach(async () => {
    await sandbox.close();
  });

  describe("OAuth2 token endpoint", () => {
    const demoClient = {
      grant_type: "client_credentials",
      client_id: A55_DEMO_OAUTH_CLIENT.clientId,
      client_secret: A55_DEMO_OAUTH_CLIENT.clientSecret,
    };

    it("issues a bearer token for client_credentials that expires after the TTL", async () => {
      // Act
      const issued = await token(demoClient);
      const accessToken = (issued.json as { access_token: string }).access_token;
      const fresh = await cancel(cancelPath(), { Authorization: `Bearer ${accessToken}` });
      now += 3_600_000;
      const expired = await cancel(cancelPath(A55_DEMO_CHARGES.settled), {
        Authorization: `Bearer ${accessToken}`,
      });

      // Assess
      expect(issued.status).toBe(200);
      expect(issued.json).toEqual({
        access_token: expect.any(String),
        expires_in: 3600,
        token_type: "Bearer",
      });
      expect(issued.headers.get("cache-control")).toBe("no-store");
      expect(issued.headers.get("x-request-id")).toBeTruthy();
      expect(fresh.status).toBe(200);
      expect(expired.status).toBe(401);
      expect(expired.json).toEqual(errorBody(A55_DEMO_CHARGES.settled, "TOKEN_EXPIRED", "authorization"));
    });

    it("accepts HTTP Basic client authentication and echoes a requested scope", async () => {
      const basic = Buffer.from(
        `${A55_DEMO_OAUTH_CLIENT.clientId}:${A55_DEMO_OAUTH_CLIENT.clientSecret}`,
      ).toString("base64");

      const issued = await token(
        { grant_type: "client_credentials", scope: "charges:cancel" },
        {
          Authorization: `Basic ${basic}`,
        },
      );

      expect(issued.status).toBe(200);
      expect(issued.json).toMatchObject({ token_type: "Bearer", scope: "charges:cancel" });
    });

    it.each([
      ["a wrong secret", { ...demoClient, client_secret: "nope" }, 401, "invalid_client"],
      ["an unknown client", { ...demoClient, client_id: "nobody" }, 401, "invalid_client"],
      [
        "no secret",
        { grant_type: "client_credentials", client_id: demoClient.client_id },
        401,
        "invalid_client",
      ],
      ["another grant", { ...demoClient, grant_type: "password" }, 400, "unsupported_grant_type"],
      ["no grant", { client_id: demoClient.client_id }, 400, "invalid_request"],
    ])("refuses %s", async (_, form, status, error) => {
      const answer = await token(form);

      expect(answer.status).toBe(status);
      expect(answer.json).toMatchObject({ error });
    });

    it("refuses a JSON body and malformed Basic credentials without crashing", async () => {
      const json = await send("/oauth/token", {
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ grant_type: "client_credentials" }),
      });
      const badBasic = await token({ grant_type: "client_credentials" }, { Authorization: "Basic JSUl" });

      expect(json).toMatchObject({ status: 400, json: { error: "invalid_request" } });
      expect(badBasic).toMatchObject({ status: 401, json: { error: "invalid_client" } });
    });
  });

  describe("routing", () => {
    it("serves the cancel route only with its trailing slash", async () => {
      const withoutSlash = await cancel(cancelPath().slice(0, -1));

      expect(withoutSlash.status).toBe(404);
      expect(withoutSlash.json).toEqual(errorBody(null, "ROUTE_NOT_FOUND", "request"));
      expect(JSON.stringify(withoutSlash.json)).toContain("ends with a slash");
      expect(sandbox.charges.get(A55_DEMO_CHARGES.cancellable)?.status).toBe("pending");
    });

    it.each([
      ["GET", cancelPath()],
      ["POST", "/"],
      ["POST", "/api/v1/bank/wallet/charge/x/refund/y/"],
      ["GET", "/oauth/token"],
    ])("%s %s is 404 with a request id", async (method, path) => {
      const answer = await send(path, {
        method,
        headers: { Authorization: `Bearer ${A55_DEMO_STATIC_TOKEN}` },
      });

      expect(answer.status).toBe(404);
      expect(answer.json).toEqual(errorBody(null, "ROUTE_NOT_FOUND"));
      expect(answer.headers.get("x-request-id")).toBeTruthy();
    });
  });

  describe("authentication and scope", () => {
    it.each([
      ["no Authorization", {}, "UNAUTHORIZED"],
      ["an unknown token", { Authorization: "Bearer nope" }, "INVALID_TOKEN"],
      ["another scheme", { Authorization: `Token ${A55_DEMO_STATIC_TOKEN}` }, "UNAUTHORIZED"],
    ])("%s is 401", async (_, headers, code) => {
      const answer = await send(cancelPath(), {
        headers: { "Content-Type": "application/json", ...headers },
        body: "{}",
      });

      expect(answer.status).toBe(401);
      expect(answer.json).toEqual(errorBody(A55_DEMO_CHARGES.cancellable, code, "authorization"));
      expect(answer.headers.get("www-authenticate")).toMatch(/^Bearer /);
    });

    it("a wallet outside the token's scope is 403, even for an unknown wallet", async () => {
      const other = await cancel(cancelPath(A55_DEMO_CHARGES.otherWallet, A55_DEMO_OTHER_WALLET));
      const unknown = await cancel(
        cancelPath(A55_DEMO_CHARGES.cancellable, "0ddba110-0000-4000-8000-0000000000ff"),
      );

      expect(other).toMatchObject({
        status: 403,
        json: errorBody(A55_DEMO_CHARGES.otherWallet, "WALLET_ACCESS_DENIED", "wallet"),
      });
      expect(unknown.status).toBe(403);
    });

    it("a token for every wallet reaches the other wallet", async () => {
      await start({ staticTokens: { ops: { clientId: "ops", wallets: ["*"] } } });

      const answer = await cancel(cancelPath(A55_DEMO_CHARGES.otherWallet, A55_DEMO_OTHER_WALLET), {
        Authorization: "Bearer ops",
      });

      expect(answer.status).toBe(200);
    });
  });

  describe("charge states", () => {
    it("answers each demo charge per the seed's table", async () => {
      const ok = await cancel(cancelPath(A55_DEMO_CHARGES.cancellable));
      const settled = await cancel(cancelPath(A55_DEMO_CHARGES.settled));
      const canceled = await cancel(cancelPath(A55_DEMO_CHARGES.canceled));
      const refunded = await cancel(cancelPath(A55_DEMO_CHARGES.refunded));

      expect(ok).toMatchObject({
        status: 200,
        json: {
          charge_uuid: A55_DEMO_CHARGES.cancellable,
          wallet_uuid: A55_DEMO_WALLET,
          status: "canceled",
          message: {},
        },
      });
      expect(settled).toMatchObject({
        status: 409,
        json: {
          charge_uuid: A55_DEMO_CHARGES.settled,
          status: "error",
          message: [
            {
              code: "CANCEL_NOT_ALLOWED",
              source: "charge",
              description: "Charge has already been settled and cannot be cancelled. Use refund instead.",
            },
          ],
        },
      });
      expect(canceled).toMatchObject({
        status: 409,
        json: errorBody(A55_DEMO_CHARGES.canceled, "ALREADY_CANCELED", "charge"),
      });
      expect(refunded).toMatchObject({
        status: 400,
        json: errorBody(A55_DEMO_CHARGES.refunded, "CHARGE_NOT_CANCELLABLE", "charge"),
      });
      expect(sandbox.effects.all()).toEqual({ [A55_DEMO_CHARGES.cancellable]: 1 });
    });

    it("accepts upper-case ids and an empty body", async () => {
      const answer = await cancel(cancelPath(A55_DEMO_CHARGES.cancellable.toUpperCase()), {}, "");

      expect(answer.status).toBe(200);
      expect(sandbox.charges.get(A55_DEMO_CHARGES.cancellable)?.cancelReason).toBeUndefined();
    });

    it("generates cancellable charges for benchmarks", async () => {
      const ids = sandbox.charges.generate(3, A55_DEMO_WALLET);

      const answers = await Promise.all(ids.map((id) => cancel(cancelPath(id))));

      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      expect(sandbox.effects.total()).toBe(3);
    });
  });

  describe("malformed requests are 422, never 500", () => {
    it.each([
      ["a malformed charge id", cancelPath("not-a-uuid"), {}, "{}", "charge_uuid"],
      [
        "a malformed wallet id",
        cancelPath(A55_DEMO_CHARGES.cancellable, "f47ac10b"),
        {},
        "{}",
        "wallet_uuid",
      ],
      ["a percent-encoded id", cancelPath("%E0%A4%A"), {}, "{}", "charge_uuid"],
      ["a non-JSON body", cancelPath(), {}, "{reason: nope", "body"],
      ["a JSON array body", cancelPath(), {}, "[]", "body"],
      ["a JSON null body", cancelPath(), {}, "null", "body"],
      ["a non-string reason", cancelPath(), {}, '{"reason": 42}', "reason"],
      ["a null reason", cancelPath(), {}, '{"reason": null}', "reason"],
      [
        "a reason of 501 characters",
        cancelPath(),
        {},
        JSON.stringify({ reason: "理".repeat(501) }),
        "reason",
      ],
      ["a text/plain body", cancelPath(), { "Content-Type": "text/plain" }, '{"reason":"x"}', "content_type"],
      [
        "a malformed Idempotency-Key",
        cancelPath(),
        { "Idempotency-Key": "order-42" },
        "{}",
        "idempotency_key",
      ],
      ["an empty Idempotency-Key", cancelPath(), { "Idempotency-Key": "" }, "{}", "idempotency_key"],
      [
        "an Idempotency-Key that is a UUID v5, not v4 as the seed asks",
        cancelPath(),
        { "Idempotency-Key": "6f1c2a4e-9d1b-5c3e-8f00-0123456789ab" },
        "{}",
        "idempotency_key",
      ],
      [
        "an Idempotency-Key with version 4 but not the RFC variant",
        cancelPath(),
        { "Idempotency-Key": "6f1c2a4e-9d1b-4c3e-cf00-0123456789ab" },
        "{}",
        "idempotency_key",
      ],
    ])("%s", async (_, path, headers, body, source) => {
      const answer = await cancel(path, headers, body);

      expect(answer.status).toBe(422);
      expect((answer.json as { message: { code: string; source: string }[] }).message).toContainEqual(
        expect.objectContaining({ code: "VALIDATION_ERROR", source }),
      );
      expect(answer.headers.get("x-request-id")).toBeTruthy();
      expect(sandbox.effects.total()).toBe(0);
    });

    it("names every problem at once", async () => {
      const answer = await cancel(cancelPath("x", "y"), {}, "{}");

      expect((answer.json as { message: { source: string }[] }).message.map((m) => m.source)).toEqual([
        "charge_uuid",
        "wallet_uuid",
      ]);
    });

    it("accepts a reason of exactly 500 characters", async () => {
      const answer = await cancel(cancelPath(), {}, JSON.stringify({ reason: "理".repeat(500) }));

      expect(answer.status).toBe(200);
    });
  });

  describe("Idempotency-Key", () => {
    const key = "550e8400-e29b-41d4-a716-446655440000";

    it("replays the same request's status and body, with no new effect", async () => {
      const first = await cancel(cancelPath(), { "Idempotency-Key": key });
      const again = await cancel(cancelPath(), { "Idempotency-Key": key });

      expect(again.status).toBe(first.status);
      expect(again.json).toEqual(first.json);
      expect(again.headers.get("idempotent-replayed")).toBe("true");
      expect(first.headers.get("idempotent-replayed")).toBeNull();
      expect(again.headers.get("x-request-id")).not.toBe(first.headers.get("x-request-id"));
      expect(sandbox.effects.count(A55_DEMO_CHARGES.cancellable)).toBe(1);
    });

    it("replays error answers too, even after the charge changed", async () => {
      const first = await cancel(cancelPath(A55_DEMO_CHARGES.refunded), { "Idempotency-Key": key });
      sandbox.charges.add({
        chargeUuid: A55_DEMO_CHARGES.refunded,
        walletUuid: A55_DEMO_WALLET,
        status: "pending",
      });
      const again = await cancel(cancelPath(A55_DEMO_CHARGES.refunded), { "Idempotency-Key": key });

      expect(first.status).toBe(400);
      expect(again).toMatchObject({ status: 400, json: first.json });
    });

    it("refuses the key with another path or body", async () => {
      await cancel(cancelPath(), { "Idempotency-Key": key });

      const otherPath = await cancel(cancelPath(A55_DEMO_CHARGES.settled), { "Idempotency-Key": key });
      const otherBody = await cancel(cancelPath(), { "Idempotency-Key": key }, '{"reason":"other"}');

      expect(otherPath).toMatchObject({
        status: 409,
        json: errorBody(A55_DEMO_CHARGES.settled, "IDEMPOTENCY_KEY_REUSED", "idempotency_key"),
      });
      expect(otherBody.status).toBe(409);
      expect(sandbox.charges.get(A55_DEMO_CHARGES.settled)?.status).toBe("settled");
    });

    it("keeps keys per client and for 24 hours", async () => {
      await start({ staticTokens: { second: { clientId: "second", wallets: [A55_DEMO_WALLET] } } });
      await cancel(cancelPath(), { "Idempotency-Key": key });

      const otherClient = await cancel(cancelPath(A55_DEMO_CHARGES.settled), {
        "Idempotency-Key": key,
        Authorization: "Bearer second",
      });
      now += 24 * 60 * 60 * 1000;
      const afterExpiry = await cancel(cancelPath(A55_DEMO_CHARGES.settled), { "Idempotency-Key": key });

      expect(otherClient.status).toBe(409);
      expect((otherClient.json as { message: { code: string }[] }).message[0]?.code).toBe(
        "CANCEL_NOT_ALLOWED",
      );
      expect((afterExpiry.json as { message: { code: string }[] }).message[0]?.code).toBe(
        "CANCEL_NOT_ALLOWED",
      );
    });

    it("does not keep a 401, so the retry with a valid token runs", async () => {
      await cancel(cancelPath(), { "Idempotency-Key": key, Authorization: "Bearer stale" });

      const retried = await cancel(cancelPath(), { "Idempotency-Key": key });

      expect(retried.status).toBe(200);
      expect(retried.headers.get("idempotent-replayed")).toBeNull();
    });
  });

  describe("injected faults answer in A55's error body", () => {
    it("500 INTERNAL_ERROR with the charge id, request id and rate-limit headers", async () => {
      sandbox.faults.update({ errorRate: 1 });

      const answer = await cancel();

      expect(answer.status).toBe(500);
      expect(answer.json).toEqual(errorBody(A55_DEMO_CHARGES.cancellable, "INTERNAL_ERROR", "server"));
      expect(answer.headers.get("x-request-id")).toBeTruthy();
      expect(answer.headers.get("x-ratelimit-limit")).toBe("100");
      expect(sandbox.effects.total()).toBe(0);
    });

    it("429 RATE_LIMITED with Retry-After", async () => {
      sandbox.faults.update({ rateLimitBurst: 1, retryAfterSeconds: 7 });

      const limited = await cancel();
      const next = await cancel();

      expect(limited.status).toBe(429);
      expect(limited.headers.get("retry-after")).toBe("7");
      expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
      expect(limited.json).toEqual(errorBody(A55_DEMO_CHARGES.cancellable, "RATE_LIMITED", "rate_limit"));
      expect(next.status).toBe(200);
      expect(sandbox.seen().map((r) => r.fault)).toEqual(["rate-limit", undefined]);
    });

    it("the token endpoint answers faults in OAuth's format", async () => {
      sandbox.faults.update({ errorRate: 1 });

      const answer = await token({ grant_type: "client_credentials" });

      expect(answer).toMatchObject({ status: 500, json: { error: "server_error" } });
    });
  });

  it("runs without demo data or credentials", async () => {
    await start({ demo: false, staticTokens: { t: { clientId: "c", wallets: ["*"] } } });

    const demoToken = await cancel();
    const noCharge = await cancel(cancelPath(), { Authorization: "Bearer t" });

    expect(demoToken.status).toBe(401);
    expect(noCharge).toMatchObject({
      status: 404,
      json: errorBody(A55_DEMO_CHARGES.cancellable, "WALLET_NOT_FOUND"),
    });
  });
});
