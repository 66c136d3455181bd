/**
 * Upstream answers of any size (validation/upstream-text.ts, http/bounded-body.ts): a long text
 * is cut with a marker and the answer keeps its meaning; a token past its length, or a body past
 * the bound, is an answer outside the contract (an operational failure, never an outcome); and
 * a body past the bound is not read into memory. The answers are served by a fetch of the test's
 * own, since the sandboxes answer only what the documents show.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { A55Client } from "#adapters/a55/a55-client.ts";
import { ProcureCoreClient } from "#adapters/procure-core/procure-core-client.ts";
import {
  UPSTREAM_ANSWER_MAX_BYTES,
  UPSTREAM_ERROR_ENTRIES_KEPT,
  UPSTREAM_TEXT_MAX_CHARS,
  UPSTREAM_TOKEN_MAX_CHARS,
} from "#adapters/validation/upstream-text.ts";
import { UpstreamError } from "#core/errors.ts";
import { countingCredentials, TestClock, testRetryPolicy } from "./a55-kit.ts";

const INTENT = "pi_20260225_000123";
const CHARGE = "c1a2b3c4-0000-4000-8000-000000000001";
const WALLET = "f47ac10b-58cc-4372-a567-0e02b2c3d479";

/** A fetch that answers every request with this status and body. */
const answering =
  (
    status: number,
    body: () => ConstructorParameters<typeof Response>[0],
    headers: Record<string, string> = {},
  ): typeof fetch =>
  async () =>
    new Response(body(), { status, headers: { "content-type": "application/json", ...headers } });

const procureCore = (fetchImpl: typeof fetch) => {
  const clock = new TestClock();
  const credentials = { baseUrl: "http://127.0.0.1:9", appId: "app", appSecret: "secret" };
  return new ProcureCoreClient({
    credentials: { get: async () => credentials, refresh: async () => credentials },
    retryPolicy: testRetryPolicy(clock, { maxAttempts: 1 }).policy,
    fetch: fetchImpl,
    now: clock.now,
  });
};

const a55 = (fetchImpl: typeof fetch) => {
  const clock = new TestClock();
  return new A55Client({
    credentials: countingCredentials({ baseUrl: "http://127.0.0.1:9", accessToken: "token" }),
    retryPolicy: testRetryPolicy(clock, { maxAttempts: 1 }).policy,
    fetch: fetchImpl,
    now: clock.now,
  });
};

const cancelCharge = (client: A55Client) =>
  client.cancelCharge({ chargeUuid: CHARGE, walletUuid: WALLET, reason: "r", idempotencyKey: randomUUID() });

const thrown = async (attempt: Promise<unknown>): Promise<unknown> =>
  attempt.then(
    (value) => ({ resolved: value }),
    (error: unknown) => error,
  );

/** A body of `total` bytes sent in 64 KiB chunks made only when the reader asks; counts what was asked. */
const lazyBody = (total: number) => {
  const chunk = new Uint8Array(65_536).fill(0x20);
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= total) return controller.close();
      pulled += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  return { stream, pulled: () => pulled };
};

describe("upstream texts are cut, the answer keeps its meaning", () => {
  it("Procure-Core's 40003 with a reason of 100,000 characters: still NOT_CANCELLABLE, the reason cut with its marker", async () => {
    const reason = "x".repeat(100_000);
    const client = procureCore(
      answering(200, () =>
        JSON.stringify({
          code: 40003,
          message: "m".repeat(50_000),
          data: { currentStatus: "SHIPPED", reason },
        }),
      ),
    );
    const result = await client.cancelIntent(INTENT, { deadline: Date.now() + 10_000 });
    expect(result.kind).toBe("not-cancellable");
    if (result.kind !== "not-cancellable") return;
    expect(result.reason).toHaveLength(UPSTREAM_TEXT_MAX_CHARS);
    expect(result.reason.endsWith("…[truncated, 100000 chars]")).toBe(true);
    expect(result.currentStatus).toBe("SHIPPED");
  });

  it(`A55's 409 with 50 entries of 5,000-character descriptions: the first ${UPSTREAM_ERROR_ENTRIES_KEPT}, each cut`, async () => {
    const entry = {
      code: "CHARGE_SETTLED",
      source: "s".repeat(5_000),
      description: `Charge has already been settled and cannot be cancelled. Use refund instead. ${"d".repeat(5_000)}`,
    };
    const client = a55(
      answering(409, () =>
        JSON.stringify({
          charge_uuid: CHARGE,
          status: "error",
          message: Array.from({ length: 50 }, () => entry),
        }),
      ),
    );
    const result = await cancelCharge(client);
    expect(result.kind).toBe("refund-required");
    if (result.kind !== "refund-required") return;
    expect(result.errors).toHaveLength(UPSTREAM_ERROR_ENTRIES_KEPT);
    for (const error of result.errors) {
      expect(error.description).toHaveLength(UPSTREAM_TEXT_MAX_CHARS);
      expect(error.source).toHaveLength(UPSTREAM_TEXT_MAX_CHARS);
    }
    expect(JSON.stringify(result).length).toBeLessThan(20_000);
  });
});

describe("what is not the documented value is outside the contract", () => {
  it(`an intent id past ${UPSTREAM_TOKEN_MAX_CHARS} characters in a successful cancel: an operational failure, not an outcome`, async () => {
    const client = procureCore(
      answering(200, () =>
        JSON.stringify({
          code: 0,
          message: "success",
          data: { id: "p".repeat(UPSTREAM_TOKEN_MAX_CHARS + 1), status: "CANCELLED", updatedAt: "t" },
        }),
      ),
    );
    const error = await thrown(client.cancelIntent(INTENT, { deadline: Date.now() + 10_000 }));
    expect(error).toBeInstanceOf(UpstreamError);
  });

  it("a body without a declared length, over the bound: dropped once past it (not read whole), outside the contract", async () => {
    const body = lazyBody(64 * 1_048_576);
    const client = procureCore(answering(200, () => body.stream));
    const error = await thrown(client.cancelIntent(INTENT, { deadline: Date.now() + 10_000 }));
    expect(error).toBeInstanceOf(UpstreamError);
    expect(body.pulled()).toBeLessThanOrEqual(UPSTREAM_ANSWER_MAX_BYTES + 2 * 65_536);
  });

  it("a body that declares more than the bound: not read at all, outside the contract", async () => {
    const body = lazyBody(64 * 1_048_576);
    const client = a55(answering(200, () => body.stream, { "content-length": String(64 * 1_048_576) }));
    const error = await thrown(cancelCharge(client));
    expect(error).toBeInstanceOf(UpstreamError);
    // A stream pulls ahead by its high-water mark (one chunk) before anyone reads it.
    expect(body.pulled()).toBeLessThanOrEqual(65_536);
  });

  it("a body within the bound, without a declared length, is read whole (a listing page, say)", async () => {
    const client = procureCore(
      answering(200, () => {
        const text = JSON.stringify({
          code: 0,
          message: "success",
          data: {
            id: INTENT,
            status: "CANCELLED",
            updatedAt: "2026-02-25T11:30:00Z",
            padding: "p".repeat(500_000),
          },
        });
        const bytes = new TextEncoder().encode(text);
        return new ReadableStream<Uint8Array>({
          start(controller) {
            for (let at = 0; at < bytes.length; at += 65_536)
              controller.enqueue(bytes.slice(at, at + 65_536));
            controller.close();
          },
        });
      }),
    );
    const result = await client.cancelIntent(INTENT, { deadline: Date.now() + 10_000 });
    expect(result.kind).toBe("accepted");
  });
});
