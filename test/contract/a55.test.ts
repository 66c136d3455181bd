/**
 * The A55 client against the A55 sandbox: every row of seed 001's status table, both
 * token forms, idempotency, rate-limit headers, retries with one effect, and validation
 * before any request.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { A55Client } from "#adapters/a55/a55-client.ts";
import type { A55Settings } from "#adapters/a55/a55-upstream.ts";
import { UpstreamAuthError, UpstreamError, ValidationError } from "#core/errors.ts";
import type { A55ErrorDetail, CancelChargeRequest, ChargeCancelResult } from "#core/ports.ts";
import { failureFrom } from "#core/upstream-failure.ts";
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
import { countingCredentials, recordingFetch, TestClock, testRetryPolicy } from "./a55-kit.ts";

/** The seed's documented error entry for a settled charge, copied from the seed. */
const SEED_SETTLED_ERROR = {
  code: "CANCEL_NOT_ALLOWED",
  source: "charge",
  description: "Charge has already been settled and cannot be cancelled. Use refund instead.",
};

const KEY = "550e8400-e29b-41d4-a716-446655440000";
const OTHER_KEY = "6f1c2a4e-9d1b-4c3e-8f00-0123456789ab"; // version-4 shaped, like the service's derived keys

const cancelRequest = (overrides: Partial<CancelChargeRequest> = {}): CancelChargeRequest => ({
  chargeUuid: A55_DEMO_CHARGES.cancellable,
  walletUuid: A55_DEMO_WALLET,
  reason: "客户在发货前要求取消",
  idempotencyKey: KEY,
  ...overrides,
});

const expectKind = <K extends ChargeCancelResult["kind"]>(
  result: ChargeCancelResult,
  kind: K,
): Extract<ChargeCancelResult, { kind: K }> => {
  expect(result.kind).toBe(kind);
  return result as Extract<ChargeCancelResult, { kind: K }>;
};

describe("A55Client against the A55 sandbox", () => {
  let clock: TestClock;
  let sandbox: RunningA55Sandbox;

  const start = async (options: A55SandboxOptions = {}): Promise<RunningA55Sandbox> => {
    await sandbox?.close();
    sandbox = await startA55Sandbox({ now: clock.now, ...options });
    return sandbox;
  };
  const staticSettings = (token = A55_DEMO_STATIC_TOKEN): A55Settings => ({
    baseUrl: sandbox.url,
    accessToken: token,
  });
  const oauthSettings = (secret: string = A55_DEMO_OAUTH_CLIENT.clientSecret): A55Settings => ({
    baseUrl: sandbox.url,
    tokenUrl: sandbox.tokenUrl,
    clientId: A55_DEMO_OAUTH_CLIENT.clientId,
    clientSecret: secret,
  });
  const client = (
    settings: A55Settings = staticSettings(),
    extra: Partial<ConstructorParameters<typeof A55Client>[0]> = {},
  ) => {
    const credentials = countingCredentials(settings);
    const { policy, sleeps } = testRetryPolicy(clock);
    const recorder = recordingFetch();
    return {
      a55: new A55Client({
        credentials,
        retryPolicy: policy,
        fetch: recorder.fetch,
        now: clock.now,
        ...extra,
      }),
      credentials,
      sleeps,
      sent: recorder.sent,
    };
  };

  beforeEach(async () => {
    clock = new TestClock();
    await start();
  });

  afterEach(async () => {
    await sandbox.close();
  });

  describe("status table of seed 001", () => {
    it("200: cancels a cancellable charge once and reports the request id and rate limit", async () => {
      // Prepare
      const { a55, sent } = client();

      // Act
      const result = await a55.cancelCharge(cancelRequest());

      // Assess
      const cancelled = expectKind(result, "cancelled");
      expect(cancelled.charge).toEqual({
        chargeUuid: A55_DEMO_CHARGES.cancellable,
        walletUuid: A55_DEMO_WALLET,
        status: "canceled",
      });
      const seen = sandbox.seen();
      expect(seen).toHaveLength(1);
      expect(cancelled.meta).toMatchObject({ httpStatus: 200, attempts: 1, requestId: seen[0]?.requestId });
      expect(cancelled.meta.rateLimit).toEqual({
        limit: 100,
        remaining: 99,
        resetAt: Math.ceil((clock.ms + 60_000) / 1000) * 1000,
      });
      expect(sandbox.effects.count(A55_DEMO_CHARGES.cancellable)).toBe(1);
      expect(sandbox.charges.get(A55_DEMO_CHARGES.cancellable)?.status).toBe("canceled");
      expect(sent[0]?.url).toBe(
        `${sandbox.url}/api/v1/bank/wallet/charge/${A55_DEMO_CHARGES.cancellable}/cancel/${A55_DEMO_WALLET}/`,
      );
      expect(sent[0]?.headers).toMatchObject({
        authorization: `Bearer ${A55_DEMO_STATIC_TOKEN}`,
        "content-type": "application/json",
        "idempotency-key": KEY,
      });
      expect(JSON.parse(sent[0]?.body ?? "")).toEqual({ reason: "客户在发货前要求取消" });
    });

    it("400: a charge in a state that is neither cancellable nor a 409 is not-cancellable", async () => {
      const result = await client().a55.cancelCharge(
        cancelRequest({ chargeUuid: A55_DEMO_CHARGES.refunded }),
      );

      const notCancellable = expectKind(result, "not-cancellable");
      expect(notCancellable.errors[0]).toMatchObject({ code: "CHARGE_NOT_CANCELLABLE", source: "charge" });
      expect(notCancellable.meta).toMatchObject({ httpStatus: 400, code: "CHARGE_NOT_CANCELLABLE" });
      expect(sandbox.effects.total()).toBe(0);
    });

    it("401: a token still rejected after one refresh is UpstreamAuthError", async () => {
      // Prepare
      const { a55, credentials } = client(staticSettings("not-a-known-token"));

      // Act
      const failure = await a55.cancelCharge(cancelRequest()).catch((error: unknown) => error);

      // Assess
      expect(failure).toBeInstanceOf(UpstreamAuthError);
      expect(failure).toMatchObject({
        httpStatus: 401,
        code: "INVALID_TOKEN",
        retryable: false,
        attempts: 2,
      });
      expect(credentials.refreshes).toBe(1);
      expect(sandbox.seen().map((r) => r.status)).toEqual([401, 401]);
      expect(sandbox.effects.total()).toBe(0);
    });

    it("403: a wallet outside the token's scope is forbidden", async () => {
      const result = await client().a55.cancelCharge(
        cancelRequest({ chargeUuid: A55_DEMO_CHARGES.otherWallet, walletUuid: A55_DEMO_OTHER_WALLET }),
      );

      const forbidden = expectKind(result, "forbidden");
      expect(forbidden.errors[0]).toMatchObject({ code: "WALLET_ACCESS_DENIED", source: "wallet" });
      expect(forbidden.meta.httpStatus).toBe(403);
      expect(sandbox.charges.get(A55_DEMO_CHARGES.otherWallet)?.status).toBe("pending");
    });

    it("404: an unknown charge, a charge of another wallet and an unknown wallet are not-found", async () => {
      // Prepare: a token allowed on every wallet, so the wallet check is what answers
      await start({ staticTokens: { "all-wallets": { clientId: "ops", wallets: ["*"] } } });
      const { a55 } = client(staticSettings("all-wallets"));

      // Act
      const unknownCharge = await a55.cancelCharge(
        cancelRequest({ chargeUuid: "c0ffee00-0000-4000-8000-0000000000ff", idempotencyKey: OTHER_KEY }),
      );
      const elsewhere = await a55.cancelCharge(
        cancelRequest({ chargeUuid: A55_DEMO_CHARGES.otherWallet, idempotencyKey: crypto.randomUUID() }),
      );
      const unknownWallet = await a55.cancelCharge(
        cancelRequest({
          walletUuid: "0ddba110-0000-4000-8000-0000000000ff",
          idempotencyKey: crypto.randomUUID(),
        }),
      );

      // Assess
      expect(expectKind(unknownCharge, "not-found").errors[0]?.code).toBe("CHARGE_NOT_FOUND");
      expect(expectKind(elsewhere, "not-found").errors[0]?.code).toBe("CHARGE_NOT_FOUND");
      expect(expectKind(unknownWallet, "not-found").errors[0]).toMatchObject({
        code: "WALLET_NOT_FOUND",
        source: "wallet",
      });
      expect(unknownWallet.meta.httpStatus).toBe(404);
      expect(sandbox.effects.total()).toBe(0);
    });

    it("409 already canceled: an idempotent success", async () => {
      const result = await client().a55.cancelCharge(
        cancelRequest({ chargeUuid: A55_DEMO_CHARGES.canceled }),
      );

      const already = expectKind(result, "already-cancelled");
      expect(already.errors[0]?.code).toBe("ALREADY_CANCELED");
      expect(already.meta).toMatchObject({ httpStatus: 409, code: "ALREADY_CANCELED" });
    });

    it("409 already canceled: our own second cancel with a new key", async () => {
      const { a55 } = client();
      await a55.cancelCharge(cancelRequest());

      const second = await a55.cancelCharge(cancelRequest({ idempotencyKey: OTHER_KEY }));

      expectKind(second, "already-cancelled");
      expect(sandbox.effects.count(A55_DEMO_CHARGES.cancellable)).toBe(1);
    });

    it("409 settled: refund-required, with the seed's documented error", async () => {
      const result = await client().a55.cancelCharge(cancelRequest({ chargeUuid: A55_DEMO_CHARGES.settled }));

      const refund = expectKind(result, "refund-required");
      expect(refund.errors).toEqual([SEED_SETTLED_ERROR]);
      expect(refund.meta).toMatchObject({
        httpStatus: 409,
        code: "CANCEL_NOT_ALLOWED",
        message: SEED_SETTLED_ERROR.description,
      });
      expect(sandbox.charges.get(A55_DEMO_CHARGES.settled)?.status).toBe("settled");
    });

    it("409 idempotency key reused with another charge", async () => {
      const { a55 } = client();
      await a55.cancelCharge(cancelRequest({ chargeUuid: A55_DEMO_CHARGES.settled }));

      const result = await a55.cancelCharge(cancelRequest());

      const reused = expectKind(result, "idempotency-key-reused");
      expect(reused.errors[0]).toMatchObject({ code: "IDEMPOTENCY_KEY_REUSED", source: "idempotency_key" });
      expect(sandbox.charges.get(A55_DEMO_CHARGES.cancellable)?.status).toBe("pending");
    });

    it("422: a reason A55 refuses is invalid", async () => {
      const result = await client().a55.cancelCharge(cancelRequest({ reason: "x".repeat(501) }));

      const invalid = expectKind(result, "invalid");
      expect(invalid.errors).toEqual([
        expect.objectContaining({ code: "VALIDATION_ERROR", source: "reason" }),
      ]);
      expect(invalid.meta.httpStatus).toBe(422);
      expect(sandbox.effects.total()).toBe(0);
    });

    it("429: the real rate limit is waited out per Retry-After, then the cancel succeeds", async () => {
      // Prepare: one request per minute; the first one uses it up
      await start({ rateLimitPerMinute: 1 });
      const { a55, sleeps } = client();
      await a55.cancelCharge(
        cancelRequest({ chargeUuid: A55_DEMO_CHARGES.settled, idempotencyKey: OTHER_KEY }),
      );
      clock.advance(15_000);

      // Act: a budget long enough to wait (the default 20 s is not)
      const result = await a55.cancelCharge(cancelRequest(), { deadline: clock.ms + 120_000 });

      // Assess: 429 with Retry-After 45, slept at least that long, then served
      expect(sandbox.seen().map((r) => r.status)).toEqual([409, 429, 200]);
      expect(sleeps).toEqual([45_000]);
      const cancelled = expectKind(result, "cancelled");
      expect(cancelled.meta.attempts).toBe(2);
      expect(cancelled.meta.rateLimit).toMatchObject({ limit: 1, remaining: 0 });
      expect(sandbox.effects.count(A55_DEMO_CHARGES.cancellable)).toBe(1);
    });

    it("429: when the budget runs out it is a retryable UpstreamError", async () => {
      // Prepare
      await start({ rateLimitPerMinute: 1 });
      const { policy } = testRetryPolicy(clock, { maxAttempts: 1 });
      const { a55 } = client(staticSettings(), { retryPolicy: policy });
      await a55.cancelCharge(
        cancelRequest({ chargeUuid: A55_DEMO_CHARGES.settled, idempotencyKey: OTHER_KEY }),
      );

      // Act
      const failure = await a55.cancelCharge(cancelRequest()).catch((error: unknown) => error);

      // Assess
      expect(failure).toBeInstanceOf(UpstreamError);
      expect(failure).toMatchObject({ retryable: true, httpStatus: 429, code: "RATE_LIMITED", attempts: 1 });
      expect(sandbox.effects.total()).toBe(0);
    });

    it("429: a Retry-After beyond the caller's deadline is not waited for", async () => {
      // Prepare
      await start({ rateLimitPerMinute: 1 });
      const { a55, sleeps } = client();
      await a55.cancelCharge(
        cancelRequest({ chargeUuid: A55_DEMO_CHARGES.settled, idempotencyKey: OTHER_KEY }),
      );

      // Act: 60 s to wait, 10 s left
      const failure = await a55
        .cancelCharge(cancelRequest(), { deadline: clock.ms + 10_000 })
        .catch((error: unknown) => error);

      // Assess
      expect(failure).toMatchObject({ retryable: true, httpStatus: 429, attempts: 1 });
      expect(sleeps).toEqual([]);
    });

    it("500: retried with the same key until the budget ends, then a retryable UpstreamError", async () => {
      // Prepare
      sandbox.faults.update({ errorRate: 1 });
      const { a55, sleeps } = client();

      // Act
      const failure = await a55.cancelCharge(cancelRequest()).catch((error: unknown) => error);

      // Assess
      expect(failure).toBeInstanceOf(UpstreamError);
      expect(failure).not.toBeInstanceOf(UpstreamAuthError);
      expect(failure).toMatchObject({
        retryable: true,
        httpStatus: 500,
        code: "INTERNAL_ERROR",
        attempts: 4,
      });
      expect((failure as UpstreamError).requestId).toBe(sandbox.seen().at(-1)?.requestId);
      expect(sleeps).toHaveLength(3);
      expect(sandbox.seen().map((r) => [r.status, r.idempotencyKey])).toEqual(Array(4).fill([500, KEY]));
      expect(sandbox.effects.total()).toBe(0);
    });
  });

  describe("retries keep one effect and one Idempotency-Key", () => {
    it("an injected 500 then success", async () => {
      sandbox.faults.update({ errorRate: 1 });
      const { a55 } = client(staticSettings(), { onRetry: () => sandbox.faults.update({ errorRate: 0 }) });

      const result = await a55.cancelCharge(cancelRequest());

      expect(expectKind(result, "cancelled").meta.attempts).toBe(2);
      expect(sandbox.seen().map((r) => [r.status, r.idempotencyKey])).toEqual([
        [500, KEY],
        [200, KEY],
      ]);
      expect(sandbox.effects.count(A55_DEMO_CHARGES.cancellable)).toBe(1);
    });

    it("injected 429s honour Retry-After", async () => {
      // Prepare
      sandbox.faults.update({ rateLimitBurst: 2, retryAfterSeconds: 3 });
      const retries: number[] = [];
      const { a55, sleeps } = client(staticSettings(), { onRetry: (event) => retries.push(event.delayMs) });

      // Act
      const result = await a55.cancelCharge(cancelRequest());

      // Assess
      expect(expectKind(result, "cancelled").meta.attempts).toBe(3);
      expect(sleeps).toEqual([3_000, 3_000]);
      expect(retries).toEqual([3_000, 3_000]);
      expect(sandbox.seen().map((r) => [r.status, r.idempotencyKey])).toEqual([
        [429, KEY],
        [429, KEY],
        [200, KEY],
      ]);
      expect(sandbox.effects.count(A55_DEMO_CHARGES.cancellable)).toBe(1);
    });

    it("a connection reset then success", async () => {
      sandbox.faults.update({ resetRate: 1 });
      const { a55, sent } = client(staticSettings(), {
        onRetry: () => sandbox.faults.update({ resetRate: 0 }),
      });

      const result = await a55.cancelCharge(cancelRequest());

      expect(expectKind(result, "cancelled").meta.attempts).toBe(2);
      expect(sent).toHaveLength(2);
      expect(sent.map((r) => r.headers["idempotency-key"])).toEqual([KEY, KEY]);
      expect(sent[1]?.body).toBe(sent[0]?.body);
      expect(sandbox.effects.count(A55_DEMO_CHARGES.cancellable)).toBe(1);
    });

    it("an answer lost after the cancel took effect: the retry is replayed, not applied again", async () => {
      // Prepare: the first answer is dropped on the way back, as a network failure would
      let calls = 0;
      const losing: typeof fetch = async (input, init) => {
        const response = await fetch(input, init);
        if (++calls === 1) {
          await response.text();
          throw new TypeError("fetch failed", {
            cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }),
          });
        }
        return response;
      };
      const { a55 } = client(staticSettings(), { fetch: losing });

      // Act
      const result = await a55.cancelCharge(cancelRequest());

      // Assess
      expect(expectKind(result, "cancelled").meta.attempts).toBe(2);
      expect(sandbox.seen().map((r) => [r.status, r.replayed, r.idempotencyKey])).toEqual([
        [200, false, KEY],
        [200, true, KEY],
      ]);
      expect(sandbox.effects.count(A55_DEMO_CHARGES.cancellable)).toBe(1);
    });

    it("an unreachable A55 is a retryable UpstreamError after the attempts", async () => {
      // Prepare: a port nobody listens on any more
      const url = sandbox.url;
      await sandbox.close();
      const { a55 } = client({ baseUrl: url, accessToken: A55_DEMO_STATIC_TOKEN });

      // Act
      const failure = await a55.cancelCharge(cancelRequest()).catch((error: unknown) => error);

      // Assess
      expect(failure).toBeInstanceOf(UpstreamError);
      expect(failure).toMatchObject({ retryable: true, attempts: 4 });
      expect((failure as Error).cause).toBeInstanceOf(Error);
      await start(); // afterEach closes it again
    });
  });

  describe("idempotency", () => {
    it("the same key and request twice: one effect, the second answer replayed", async () => {
      const { a55 } = client();

      const first = await a55.cancelCharge(cancelRequest());
      const second = await a55.cancelCharge(cancelRequest());

      expect(expectKind(second, "cancelled").charge).toEqual(expectKind(first, "cancelled").charge);
      expect(sandbox.seen().map((r) => r.replayed)).toEqual([false, true]);
      expect(sandbox.effects.count(A55_DEMO_CHARGES.cancellable)).toBe(1);
    });
  });

  describe("tokens", () => {
    it("OAuth: one token request serves later calls until 60 s before expiry", async () => {
      // Prepare
      const { a55, sent } = client(oauthSettings());
      const [a, b, c] = sandbox.charges.generate(3, A55_DEMO_WALLET);

      // Act + Assess
      await a55.cancelCharge(cancelRequest({ chargeUuid: a as string, idempotencyKey: crypto.randomUUID() }));
      expect(sandbox.tokens.requests).toBe(1);
      const tokenForm = new URLSearchParams(sent[0]?.body);
      expect(sent[0]?.url).toBe(sandbox.tokenUrl);
      expect(sent[0]?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
      expect(tokenForm.get("grant_type")).toBe("client_credentials");
      expect(tokenForm.get("client_id")).toBe(A55_DEMO_OAUTH_CLIENT.clientId);

      clock.advance(3_600_000 - 61_000); // 61 s before expiry: still cached
      await a55.cancelCharge(cancelRequest({ chargeUuid: b as string, idempotencyKey: crypto.randomUUID() }));
      expect(sandbox.tokens.requests).toBe(1);

      clock.advance(2_000); // 59 s before expiry: renewed
      const third = await a55.cancelCharge(
        cancelRequest({ chargeUuid: c as string, idempotencyKey: crypto.randomUUID() }),
      );
      expect(sandbox.tokens.requests).toBe(2);
      expectKind(third, "cancelled");
      const bearers = sent.filter((r) => r.url.includes("/cancel/")).map((r) => r.headers.authorization);
      expect(bearers[0]).toBe(bearers[1]);
      expect(bearers[2]).not.toBe(bearers[1]);
    });

    it("OAuth: concurrent callers share one token request", async () => {
      const { a55 } = client(oauthSettings());
      const ids = sandbox.charges.generate(5, A55_DEMO_WALLET);

      const results = await Promise.all(
        ids.map((id) =>
          a55.cancelCharge(cancelRequest({ chargeUuid: id, idempotencyKey: crypto.randomUUID() })),
        ),
      );

      expect(results.map((r) => r.kind)).toEqual(Array(5).fill("cancelled"));
      expect(sandbox.tokens.requests).toBe(1);
    });

    it("OAuth: a 401 gets a new token and the same request once more", async () => {
      // Prepare
      const { a55, credentials } = client(oauthSettings());
      const [first] = sandbox.charges.generate(1, A55_DEMO_WALLET);
      await a55.cancelCharge(cancelRequest({ chargeUuid: first as string, idempotencyKey: OTHER_KEY }));
      sandbox.tokens.revokeIssued();

      // Act
      const result = await a55.cancelCharge(cancelRequest());

      // Assess
      expect(expectKind(result, "cancelled").meta.attempts).toBe(2);
      expect(sandbox.tokens.requests).toBe(2);
      expect(credentials.refreshes).toBe(0);
      const cancels = sandbox.seen().filter((r) => r.path.includes("/cancel/"));
      expect(cancels.map((r) => [r.status, r.idempotencyKey])).toEqual([
        [200, OTHER_KEY],
        [401, KEY],
        [200, KEY],
      ]);
    });

    it("reports one call per cancel (its token request and 401 renewal inside it) and every attempt", async () => {
      // Prepare: the first token is revoked once the first cancel has used it.
      const calls: unknown[] = [];
      const attempts: unknown[] = [];
      const { a55 } = client(oauthSettings(), {
        onCall: (event) => calls.push(event),
        onAttempt: (event) => attempts.push(event),
      });
      const [first] = sandbox.charges.generate(1, A55_DEMO_WALLET);
      await a55.cancelCharge(cancelRequest({ chargeUuid: first as string, idempotencyKey: OTHER_KEY }));
      sandbox.tokens.revokeIssued();
      clock.advance(1_000);

      // Act
      await a55.cancelCharge(cancelRequest());

      // Assess: the catalogue's UpstreamCallLatency is per call, UpstreamAttemptLatency per attempt.
      expect(calls).toEqual([
        { upstream: "a55", operation: "cancelCharge", httpStatus: 200, latencyMs: 0, attempts: 1 },
        { upstream: "a55", operation: "cancelCharge", httpStatus: 200, latencyMs: 0, attempts: 2 },
      ]);
      expect(
        attempts.map((event) => [
          (event as { operation: string }).operation,
          (event as { httpStatus: number }).httpStatus,
        ]),
      ).toEqual([
        ["requestToken", 200],
        ["cancelCharge", 200],
        ["cancelCharge", 401],
        ["requestToken", 200],
        ["cancelCharge", 200],
      ]);
    });

    it("OAuth: a token that expired at A55 first (clock skew) is renewed on 401", async () => {
      // Prepare: A55's clock runs ahead of ours by `skew`
      let skew = 0;
      await start({ now: () => clock.ms + skew });
      const { a55 } = client(oauthSettings());
      const [first] = sandbox.charges.generate(1, A55_DEMO_WALLET);
      await a55.cancelCharge(cancelRequest({ chargeUuid: first as string, idempotencyKey: OTHER_KEY }));
      skew = 3_600_000; // for A55 the token has expired; for us it has 3600 s left

      // Act
      const result = await a55.cancelCharge(cancelRequest());

      // Assess
      expectKind(result, "cancelled");
      expect(sandbox.tokens.requests).toBe(2);
      expect(
        sandbox
          .seen()
          .filter((r) => r.path.includes("/cancel/"))
          .map((r) => r.status),
      ).toEqual([200, 401, 200]);
    });

    it("OAuth: the token is renewed before the call once within 60 s of expiry", async () => {
      // Prepare: 100 s tokens, so the client renews after 40 s
      await start({ tokenTtlSeconds: 100 });
      const { a55 } = client(oauthSettings());
      await a55.cancelCharge(
        cancelRequest({ chargeUuid: A55_DEMO_CHARGES.canceled, idempotencyKey: OTHER_KEY }),
      );
      clock.advance(39_000);
      await a55.cancelCharge(
        cancelRequest({ chargeUuid: A55_DEMO_CHARGES.settled, idempotencyKey: crypto.randomUUID() }),
      );
      expect(sandbox.tokens.requests).toBe(1);

      // Act
      clock.advance(2_000);
      const result = await a55.cancelCharge(cancelRequest());

      // Assess: renewed up front, so A55 never answered 401
      expectKind(result, "cancelled");
      expect(sandbox.tokens.requests).toBe(2);
      expect(sandbox.seen().some((r) => r.status === 401)).toBe(false);
    });

    it("OAuth: a rejected client refreshes the credentials once, then is UpstreamAuthError", async () => {
      const { a55, credentials } = client(oauthSettings("wrong-secret"));

      const failure = await a55.cancelCharge(cancelRequest()).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(UpstreamAuthError);
      expect(failure).toMatchObject({ httpStatus: 401, code: "invalid_client", retryable: false });
      expect(credentials.refreshes).toBe(1);
      expect(sandbox.tokens.requests).toBe(2);
      expect(sandbox.seen().filter((r) => r.path.includes("/cancel/"))).toHaveLength(0);
    });

    it("OAuth: rotated client secret is picked up by the refresh", async () => {
      const credentials = countingCredentials(oauthSettings("old-secret"), oauthSettings());
      const { policy } = testRetryPolicy(clock);
      const a55 = new A55Client({ credentials, retryPolicy: policy, now: clock.now });

      const result = await a55.cancelCharge(cancelRequest());

      expectKind(result, "cancelled");
      expect(credentials.refreshes).toBe(1);
    });

    it("static: a 401 re-reads the token with credentials.refresh() and retries once", async () => {
      // Prepare
      const credentials = countingCredentials(staticSettings("rotated-away"), staticSettings());
      const { policy } = testRetryPolicy(clock);
      const a55 = new A55Client({ credentials, retryPolicy: policy, now: clock.now });

      // Act
      const result = await a55.cancelCharge(cancelRequest());

      // Assess
      expect(expectKind(result, "cancelled").meta.attempts).toBe(2);
      expect(credentials.refreshes).toBe(1);
      expect(sandbox.seen().map((r) => [r.status, r.idempotencyKey])).toEqual([
        [401, KEY],
        [200, KEY],
      ]);
      expect(sandbox.effects.count(A55_DEMO_CHARGES.cancellable)).toBe(1);
    });
  });

  describe("validation before any request", () => {
    it.each([
      ["chargeUuid", { chargeUuid: "a1b2c3d4-e5f6-7890-abcd-ef123456789" }],
      ["walletUuid", { walletUuid: "not-a-wallet" }],
      ["idempotencyKey", { idempotencyKey: "order-42" }],
      ["chargeUuid", { chargeUuid: `${A55_DEMO_CHARGES.cancellable}/../x` }],
      ["reason", { reason: 42 as unknown as string }],
    ])("a bad %s is a ValidationError and nothing is sent", async (field, overrides) => {
      // Prepare: OAuth, so a token request would show too
      const { a55, sent } = client(oauthSettings());

      // Act
      const failure = await a55.cancelCharge(cancelRequest(overrides)).catch((error: unknown) => error);

      // Assess
      expect(failure).toBeInstanceOf(ValidationError);
      expect((failure as ValidationError).field).toBe(field);
      expect(sent).toHaveLength(0);
      expect(sandbox.seen()).toHaveLength(0);
      expect(sandbox.tokens.requests).toBe(0);
    });
  });

  describe("409 bodies, told apart by code and description together", () => {
    /** A stub A55 that answers every cancel with one 409 error body. */
    const stubAnswering409 = async (message: A55ErrorDetail[]) => {
      const server = createServer((_req, res) => {
        res.writeHead(409, { "content-type": "application/json", "x-request-id": "req-409" });
        res.end(JSON.stringify({ charge_uuid: A55_DEMO_CHARGES.cancellable, status: "error", message }));
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const { port } = server.address() as AddressInfo;
      return {
        url: `http://127.0.0.1:${port}`,
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
      };
    };
    const answerTo = async (message: A55ErrorDetail[]): Promise<ChargeCancelResult | unknown> => {
      const stub = await stubAnswering409(message);
      try {
        const { a55 } = client({ baseUrl: stub.url, accessToken: A55_DEMO_STATIC_TOKEN });
        return await a55.cancelCharge(cancelRequest()).catch((error: unknown) => error);
      } finally {
        await stub.close();
      }
    };
    const entry = (code: string, description: string, source = "charge"): A55ErrorDetail => ({
      code,
      source,
      description,
    });

    it.each<[string, ChargeCancelResult["kind"], A55ErrorDetail[]]>([
      ["the seed's settled example", "refund-required", [SEED_SETTLED_ERROR]],
      [
        "CANCEL_NOT_ALLOWED saying the charge is already canceled",
        "already-cancelled",
        [entry("CANCEL_NOT_ALLOWED", "Charge has already been canceled and cannot be cancelled again.")],
      ],
      [
        "ALREADY_CANCELED (the sandbox's already-canceled answer)",
        "already-cancelled",
        [entry("ALREADY_CANCELED", "Charge has already been canceled.")],
      ],
      [
        "a specific code with a description that says nothing more",
        "refund-required",
        [entry("CHARGE_SETTLED", "")],
      ],
      [
        "IDEMPOTENCY_KEY_REUSED (the sandbox's key-reuse answer)",
        "idempotency-key-reused",
        [
          entry(
            "IDEMPOTENCY_KEY_REUSED",
            "This Idempotency-Key was already used with a different request.",
            "idempotency_key",
          ),
        ],
      ],
    ])("%s is %s", async (_name, kind, message) => {
      // Act
      const result = await answerTo(message);

      // Assess
      expect(result).toMatchObject({
        kind,
        errors: message,
        meta: { httpStatus: 409, requestId: "req-409" },
      });
    });

    it.each([
      ["an undocumented code", [entry("CHARGE_LOCKED", "Charge is locked by an open dispute.")]],
      ["CANCEL_NOT_ALLOWED naming neither case", [entry("CANCEL_NOT_ALLOWED", "Cancel is not allowed now.")]],
      [
        "a code and a description that disagree",
        [
          entry(
            "ALREADY_CANCELED",
            "Charge has already been settled and cannot be cancelled. Use refund instead.",
          ),
        ],
      ],
      [
        "a description naming two cases",
        [entry("CANCEL_NOT_ALLOWED", "Charge has already been canceled, or settled: use refund instead.")],
      ],
      [
        "entries naming different cases",
        [SEED_SETTLED_ERROR, entry("ALREADY_CANCELED", "Charge has already been canceled.")],
      ],
      ["no entry at all", []],
    ])("%s is outside the contract: an operational failure, never an outcome", async (_name, message) => {
      // Act
      const failure = await answerTo(message);

      // Assess
      expect(failure).toBeInstanceOf(UpstreamError);
      expect(failure).toMatchObject({ upstream: "a55", httpStatus: 409, requestId: "req-409" });
      expect(failureFrom({ type: "charge", id: "c", walletUuid: "w" }, failure)).toMatchObject({
        type: "FAILED",
        retryable: true,
        problem: "contract-violation",
      });
    });
  });
});
