import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";
import { type HandlerKit, STOREFRONT_APP_ID, startHandlerKit } from "#test/support/handler-kit.ts";

/**
 * One answer for any authentication failure (issue 18): an unauthenticated caller learns
 * nothing from the body, neither which app ids exist nor which check failed. Every way of
 * failing answers the same 401 body in the route's dialect; the precise reason is only in
 * the log.
 */
describe("http-api handler: every authentication failure answers the same 401", () => {
  let kit: HandlerKit;

  beforeAll(async () => {
    kit = await startHandlerKit({ name: "http-auth", dynamoEndpoint: inject("dynamoEndpoint") });
  });
  afterAll(async () => {
    await kit?.close();
  });

  /** Every signed-route failure, each a different check. */
  const signedFailures = (
    method: string,
    path: string,
    body?: string,
  ): [string, () => APIGatewayProxyEventV2][] => {
    const input = { method, path, ...(body === undefined ? {} : { body }) };
    return [
      [
        "missing x-signature",
        () => {
          const event = kit.signed(input);
          delete event.headers["x-signature"];
          return event;
        },
      ],
      [
        "missing x-app-id",
        () => {
          const event = kit.signed(input);
          delete event.headers["x-app-id"];
          return event;
        },
      ],
      ["stale timestamp", () => kit.signed({ ...input, timestampMs: Date.now() - 6 * 60_000 })],
      ["garbage timestamp", () => kit.signed({ ...input, headers: { "x-timestamp": "1e3" } })],
      ["unknown app", () => kit.signed({ ...input, app: { appId: "nobody_app", secret: "whatever" } })],
      [
        "bad signature (wrong secret)",
        () => kit.signed({ ...input, app: { appId: STOREFRONT_APP_ID, secret: "not-the-secret" } }),
      ],
      [
        "bad signature (body changed)",
        () => {
          const event = kit.signed(input);
          event.body = `${event.body ?? ""} `;
          return event;
        },
      ],
      ["no credentials at all", () => kit.bearer({ ...input, token: "sf_token_on_a_signed_route" })],
    ];
  };

  const answersOf = async (cases: [string, () => APIGatewayProxyEventV2][]) => {
    const answers = [];
    for (const [name, event] of cases) {
      const response = await kit.http(event());
      answers.push({ name, statusCode: response.statusCode, body: response.body });
    }
    return answers;
  };

  const expectOneAnswer = (
    answers: { name: string; statusCode: number; body: unknown }[],
    expected: unknown,
  ): void => {
    // Each case named, so a failure says which check answered differently.
    expect(answers).toEqual(answers.map(({ name }) => ({ name, statusCode: 401, body: expected })));
  };

  it("intent route (Procure-Core envelope): one 40100 body, no reason, nothing sent upstream", async () => {
    const id = kit.newIntent("SUBMITTED");
    const sentBefore = kit.procureCore.requests.count();

    const answers = await answersOf(signedFailures("POST", `/api/v1/intents/${id}/cancel`, "{}"));

    expectOneAnswer(answers, {
      code: 40100,
      message: "认证失败",
      data: { message: "Authentication failed; the reason is logged under this answer's x-correlation-id" },
    });
    expect(kit.procureCore.requests.count()).toBe(sentBefore);
    expect(kit.procureCore.intents.get(id)?.status).toBe("SUBMITTED");
  });

  it.each([
    ["order cancel", "POST", "/api/v1/orders/order-1/cancel", '{"intentId":"intent_1"}'],
    ["order status", "GET", "/api/v1/orders/order-1/cancellation", undefined],
    ["audit trail", "GET", "/api/v1/cancellations/intent/intent_1", undefined],
    ["daily report", "GET", "/api/v1/reports/daily/2026-01-01", undefined],
    ["open cancellations", "GET", "/api/v1/cancellations?state=open", undefined],
  ])("%s (the service's own dialect): one body without a reason", async (_route, method, path, body) => {
    const answers = await answersOf(signedFailures(method, path, body));

    expectOneAnswer(answers, {
      error: {
        code: "unauthenticated",
        message: "Authentication failed; the reason is logged under this answer's x-correlation-id",
      },
    });
  });

  it("charge route (A55's error body): missing, malformed and unknown bearer tokens answer alike", async () => {
    const charge = kit.newCharge("pending");
    const path = `/api/v1/bank/wallet/charge/${charge}/cancel/${A55_DEMO_WALLET}/`;
    const withAuthorization = (value: string | undefined) => () => {
      const event = kit.bearer({ method: "POST", path, body: "{}" });
      if (value === undefined) delete event.headers.authorization;
      else event.headers.authorization = value;
      return event;
    };

    const answers = await answersOf([
      ["missing Authorization", withAuthorization(undefined)],
      ["not a bearer token", withAuthorization("Basic dXNlcjpwYXNz")],
      ["empty bearer token", withAuthorization("Bearer ")],
      ["two tokens", withAuthorization("Bearer a b")],
      ["unknown token", withAuthorization("Bearer sf_token_nobody_issued_this")],
      ["signed headers instead", () => kit.signed({ method: "POST", path, body: "{}" })],
    ]);

    expectOneAnswer(answers, {
      charge_uuid: charge,
      status: "error",
      message: [
        {
          code: "UNAUTHORIZED",
          source: "authorization",
          description: "Authentication failed; the reason is logged under this answer's x-correlation-id",
        },
      ],
    });
    expect(kit.a55.charges.get(charge)?.status).toBe("pending");
  });
});
