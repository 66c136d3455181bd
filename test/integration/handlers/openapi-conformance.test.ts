import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { A55_DEMO_OTHER_WALLET, A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";
import type { GrantAppId } from "#test/support/grant-clients.ts";
import { useGrantedHandlerKit } from "#test/support/granted-handler-kit.ts";
import type { HttpResult } from "#test/support/handler-kit.ts";
import { apiGatewayV2Event, lambdaContext } from "#test/support/lambda-events.ts";
import { createResponseValidator } from "#test/support/openapi-validator.ts";
import { forceUpstreamKey, keySpentAtA55, NOT_V4_KEY } from "#test/support/upstream-key.ts";

/**
 * Every answer the handlers really give, on every route, is checked against
 * docs/openapi.yaml: its path, its status and its body's schema.
 */
describe("docs/openapi.yaml describes the handlers' real answers", () => {
  const { kit, clients } = useGrantedHandlerKit("openapi");
  const validate = createResponseValidator();
  const seen: string[] = [];

  const check = (method: string, pathAndQuery: string, response: HttpResult): HttpResult => {
    const path = pathAndQuery.split("?")[0] ?? "";
    expect(
      validate(method, path, response.statusCode, response.body),
      `${method} ${path} → ${response.statusCode}`,
    ).toEqual([]);
    seen.push(`${method} ${path.split("/")[3]} ${response.statusCode}`);
    return response;
  };
  const signed = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    check(
      method,
      path,
      await kit.http(
        kit.signed({ method, path, headers, body: body === undefined ? undefined : JSON.stringify(body) }),
      ),
    );
  const bearer = async (path: string, body?: unknown, headers: Record<string, string> = {}) =>
    check(
      "POST",
      path,
      await kit.http(
        kit.bearer({
          method: "POST",
          path,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
        }),
      ),
    );

  it("intent route: 200, 202, 400, 401, 403, 404, 405, 409, 413, 500", async () => {
    const cancel = (id: string) => `/api/v1/intents/${id}/cancel`;
    expect((await signed("POST", cancel(kit.newIntent("SUBMITTED")))).statusCode).toBe(200);
    expect((await signed("POST", cancel(kit.newIntent("PROCESSING")))).statusCode).toBe(202);
    expect((await signed("POST", cancel(kit.newIntent("COMPLETED")))).statusCode).toBe(400);
    expect(await signed("POST", cancel("bad id!"))).toMatchObject({ statusCode: 400 });
    expect(await signed("POST", cancel("intent_other_app"))).toMatchObject({ statusCode: 403 });
    expect(await signed("POST", cancel("intent_missing_0"))).toMatchObject({ statusCode: 404 });
    expect(await signed("GET", cancel("intent_67890"))).toMatchObject({ statusCode: 405 });
    expect(await signed("POST", cancel(kit.newIntent("PROCESSING", { shipped: true })))).toMatchObject({
      statusCode: 500,
    });
    expect(await signed("POST", cancel("intent_67890"), { reason: "x".repeat(20_000) })).toMatchObject({
      statusCode: 413,
    });
    const id = kit.newIntent("SUBMITTED");
    await signed("POST", cancel(id), { reason: "a" }, { "idempotency-key": "conformance-1" });
    expect(
      (await signed("POST", cancel(id), { reason: "b" }, { "idempotency-key": "conformance-1" })).statusCode,
    ).toBe(409);
    const unsigned = await kit.http(
      kit.signed({ method: "POST", path: cancel(id), headers: { "x-signature": "0".repeat(64) } }),
    );
    expect(check("POST", cancel(id), unsigned).statusCode).toBe(401);
  });

  it("charge route: 200, 400, 401, 403, 404, 409, 422 (ours and A55's), 502 (A55's final refusal)", async () => {
    const cancel = (charge: string, wallet = A55_DEMO_WALLET) =>
      `/api/v1/bank/wallet/charge/${charge}/cancel/${wallet}/`;
    expect((await bearer(cancel(kit.newCharge("pending")))).statusCode).toBe(200);
    expect((await bearer(cancel(kit.newCharge("refunded")))).statusCode).toBe(400);
    expect((await bearer(cancel(kit.newCharge("settled")))).statusCode).toBe(409);
    expect((await bearer(cancel(randomUUID()))).statusCode).toBe(404);
    expect((await bearer(cancel(randomUUID(), A55_DEMO_OTHER_WALLET))).statusCode).toBe(403);
    expect((await bearer(cancel("not-a-uuid"))).statusCode).toBe(422);
    const noToken = await kit.http(
      kit.bearer({ method: "POST", path: cancel(randomUUID()), headers: { authorization: "Bearer nope" } }),
    );
    expect(check("POST", cancel(randomUUID()), noToken).statusCode).toBe(401);
    const refused = kit.newCharge("pending");
    const restoreRefused = forceUpstreamKey(kit.container, NOT_V4_KEY);
    try {
      const answer = await bearer(cancel(refused));
      expect(answer.statusCode).toBe(422);
      expect(answer.body).toMatchObject({
        message: [{ code: "VALIDATION_ERROR", source: "idempotency_key" }],
      });
    } finally {
      restoreRefused();
    }
    const clashing = kit.newCharge("pending");
    const restoreClashing = forceUpstreamKey(kit.container, await keySpentAtA55(kit));
    try {
      const answer = await bearer(cancel(clashing));
      expect(answer.statusCode).toBe(502);
      expect(answer.body).toMatchObject({ message: [{ code: "IDEMPOTENCY_KEY_REUSED" }] });
    } finally {
      restoreClashing();
    }
  });

  it("order and audit routes: 200, 202, 400, 401, 409", async () => {
    const order = (id: string) => `/api/v1/orders/${id}/cancel`;
    const key = () => ({ "idempotency-key": randomUUID() });
    const intentId = kit.newIntent("SUBMITTED");
    expect((await signed("POST", order(`o-${randomUUID()}`), { intentId }, key())).statusCode).toBe(200);
    expect(
      (await signed("POST", order(`o-${randomUUID()}`), { intentId: kit.newIntent("PROCESSING") }, key()))
        .statusCode,
    ).toBe(202);
    expect(
      (await signed("POST", order(`o-${randomUUID()}`), { intentId: kit.newIntent("COMPLETED") }, key()))
        .statusCode,
    ).toBe(409);
    expect((await signed("POST", order(`o-${randomUUID()}`), {}, key())).statusCode).toBe(400);
    expect((await signed("GET", `/api/v1/cancellations/intent/${intentId}`)).statusCode).toBe(200);
    expect((await signed("GET", `/api/v1/cancellations/planet/${intentId}`)).statusCode).toBe(400);
  });

  it("order status route: 200 (open and final), 400, 404; an order's second request for other targets: 400", async () => {
    const orderId = `o-${randomUUID()}`;
    const status = (id: string) => signed("GET", `/api/v1/orders/${id}/cancellation`);
    const order = (id: string, body: unknown) =>
      signed("POST", `/api/v1/orders/${id}/cancel`, body, { "idempotency-key": randomUUID() });
    const chargeUuid = kit.newCharge("pending");
    expect(
      (
        await order(orderId, {
          intentId: kit.newIntent("PROCESSING"),
          charge: { chargeUuid, walletUuid: A55_DEMO_WALLET },
        })
      ).statusCode,
    ).toBe(202);
    expect((await status(orderId)).body).toMatchObject({ state: "INTENT_PENDING", final: false });
    const finished = `o-${randomUUID()}`;
    expect((await order(finished, { intentId: kit.newIntent("SUBMITTED") })).statusCode).toBe(200);
    expect((await status(finished)).body).toMatchObject({ state: "DONE", final: true });
    expect((await order(finished, { intentId: kit.newIntent("SUBMITTED") })).statusCode).toBe(400);
    expect((await status(`o-${randomUUID()}`)).body).toMatchObject({ error: { code: "not-found" } });
    expect((await status("bad%20id")).statusCode).toBe(400);
  });

  it("report and open-cancellations routes: 200, 400, 401, 405, 503", async () => {
    const today = new Date().toISOString().slice(0, 10);
    const work = kit.container.deps.work;
    const requestedAt = new Date(Date.now() - 3_600_000).toISOString();
    await work.commitTransition(
      {
        next: {
          kind: "order",
          id: "order-conformance",
          state: "STUCK",
          stuckIn: "CHARGE_DUE",
          version: 4,
          request: {
            intentId: "intent_x",
            charge: { chargeUuid: randomUUID(), walletUuid: A55_DEMO_WALLET },
            trigger: "bus",
            actor: "storefront.orders",
            correlationId: "c-1",
            idempotencyKey: "k-1",
            scopeKey: "bus:k-1",
            requestedAt,
          },
          steps: {},
          nextCheckAt: Date.now() + 60_000,
          checks: 9,
          lastProblem: { problem: "unavailable", reason: "A55 answered 503", at: requestedAt },
          updatedAt: requestedAt,
        },
        expectedVersion: null,
      },
      [],
    );
    await signed("POST", `/api/v1/intents/${kit.newIntent("PROCESSING")}/cancel`);
    await bearer(`/api/v1/bank/wallet/charge/${kit.newCharge("settled")}/cancel/${A55_DEMO_WALLET}/`);
    const report = await signed("GET", `/api/v1/reports/daily/${today}`);
    expect(report.statusCode).toBe(200);
    // Entries are checked against the schema only when there are some.
    const { refundsRequired, notFinal } = report.body as { refundsRequired: unknown[]; notFinal: unknown[] };
    expect([refundsRequired.length > 0, notFinal.length > 0]).toEqual([true, true]);
    expect((await signed("GET", "/api/v1/reports/daily/2026-13-01")).statusCode).toBe(400);
    expect((await signed("POST", `/api/v1/reports/daily/${today}`)).statusCode).toBe(405);
    const late = await kit.http(
      kit.signed({ method: "GET", path: `/api/v1/reports/daily/${today}` }),
      lambdaContext({ remainingMs: 500 }),
    );
    expect(check("GET", `/api/v1/reports/daily/${today}`, late).statusCode).toBe(503);
    const unsigned = await kit.http(
      apiGatewayV2Event({ method: "GET", path: `/api/v1/reports/daily/${today}` }),
    );
    expect(check("GET", `/api/v1/reports/daily/${today}`, unsigned).statusCode).toBe(401);

    const open = await kit.http(kit.signed({ method: "GET", path: "/api/v1/cancellations?state=stuck" }));
    expect(check("GET", "/api/v1/cancellations", open).statusCode).toBe(200);
    expect(open.body).toMatchObject({ items: [{ id: "order-conformance" }] });
    const bad = await kit.http(kit.signed({ method: "GET", path: "/api/v1/cancellations?state=closed" }));
    expect(check("GET", "/api/v1/cancellations", bad).statusCode).toBe(400);
  });

  it("bulk routes: submit 202 (new and replayed), 400 (with per-line issues), 401, 409, 413; status 200, 404; items 200 (page, filter, CSV), 400; stop 200, 202, 409", async () => {
    const base = "/api/v1/bulk-cancellations";
    const submit = async (body: string, contentType: string, key: string, query = "") =>
      check(
        "POST",
        `${base}${query}`,
        await kit.http(
          kit.signed({
            method: "POST",
            path: `${base}${query}`,
            headers: { "content-type": contentType, "idempotency-key": key },
            body,
          }),
        ),
      );
    const [a, b] = [kit.newIntent("SUBMITTED"), kit.newIntent("PROCESSING")];
    const csv = `id\n${a}\n${b}\n${a}\n`;
    const key = `conformance-${randomUUID()}`;
    const created = await submit(csv, "text/csv", key, "?reason=outage");
    expect(created.statusCode).toBe(202);
    const job = created.body as { id: string; links: { self: string; items: string; stop: string } };
    expect((await submit(csv, "text/csv", key, "?reason=outage")).headers["idempotent-replayed"]).toBe(
      "true",
    );
    expect((await submit(`id\n${b}\n`, "text/csv", key)).statusCode).toBe(409);
    const invalid = await submit(
      JSON.stringify({
        items: [
          { type: "intent", id: a },
          { type: "charge", chargeUuid: "x" },
        ],
      }),
      "application/json",
      randomUUID(),
    );
    expect(invalid).toMatchObject({ statusCode: 400, body: { error: { issues: [{ line: 2 }] } } });
    expect((await submit("{}", "application/json", randomUUID(), "?skipInvalid=maybe")).statusCode).toBe(400);
    expect(
      (await submit(`id\n${"i".repeat(100)}\n`.repeat(60_000), "text/csv", randomUUID())).statusCode,
    ).toBe(413);
    const unsigned = await kit.http(apiGatewayV2Event({ method: "POST", path: base, body: csv }));
    expect(check("POST", base, unsigned).statusCode).toBe(401);

    expect((await signed("GET", job.links.self)).statusCode).toBe(200);
    expect((await signed("GET", `${base}/${randomUUID()}`)).statusCode).toBe(404);
    const page = await signed("GET", `${job.links.items}?limit=2`);
    expect(page.body).toMatchObject({
      items: [{ line: 2, outcome: "QUEUED" }, { line: 3 }],
      cursor: expect.any(String),
    });
    const next = (page.body as { cursor: string }).cursor;
    expect((await signed("GET", `${job.links.items}?limit=2&cursor=${next}`)).body).toMatchObject({
      items: [{ line: 4, outcome: "DUPLICATE", duplicateOf: 2 }],
    });
    expect((await signed("GET", `${job.links.items}?outcome=DUPLICATE`)).statusCode).toBe(200);
    expect((await signed("GET", `${job.links.items}?outcome=LOST`)).statusCode).toBe(400);
    expect((await signed("GET", `${job.links.items}?cursor=forged`)).statusCode).toBe(400);
    // The kit's http() parses JSON bodies: the CSV report comes from the handler itself.
    const report = (await kit.handlers.http(
      kit.signed({ method: "GET", path: job.links.items, headers: { accept: "text/csv" } }),
      lambdaContext(),
    )) as { statusCode: number; headers: Record<string, string>; body: string };
    expect(report.statusCode).toBe(200);
    expect(report.headers["content-type"]).toBe("text/csv; charset=utf-8");
    expect(report.body.split("\r\n")[0]).toMatch(/^line,type,id,/);

    // Started and in flight (an asynchronous cancel), then stopped: 202; a stop of a quiet job: 200.
    await kit.handlers.continuation({}, lambdaContext({ remainingMs: 30_000 }));
    await kit.busQueue.deliverBatch(kit.handlers.bus);
    const stopping = await signed("POST", job.links.stop);
    expect(stopping).toMatchObject({ statusCode: 202, body: { state: "STOPPING" } });
    const quiet = (await submit(`id\n${kit.newIntent("SUBMITTED")}\n`, "text/csv", randomUUID())).body as {
      links: { stop: string };
    };
    expect(await signed("POST", quiet.links.stop)).toMatchObject({
      statusCode: 200,
      body: { state: "STOPPED" },
    });
    expect((await signed("POST", quiet.links.stop)).statusCode).toBe(409);
  });

  it("grants and ownership: 403 on every signed route a grant may refuse, 404 for another client's order", async () => {
    /** `path` as sent (query included); checked against the contract without its query. */
    const as = async (appId: GrantAppId, method: string, path: string, body?: unknown) =>
      check(
        method,
        path.split("?")[0] ?? path,
        await kit.http(
          kit.signed({
            method,
            path,
            app: clients.apps[appId],
            headers: { "idempotency-key": randomUUID() },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          }),
        ),
      );
    const today = new Date().toISOString().slice(0, 10);
    const orderId = `o-${randomUUID()}`;
    const intentId = kit.newIntent("SUBMITTED");
    const otherWallet = {
      chargeUuid: kit.newCharge("pending", A55_DEMO_OTHER_WALLET),
      walletUuid: A55_DEMO_OTHER_WALLET,
    };
    expect((await as("shop-a", "POST", `/api/v1/orders/${orderId}/cancel`, { intentId })).statusCode).toBe(
      200,
    );

    const refused = [
      await as("shop-a", "POST", `/api/v1/orders/o-${randomUUID()}/cancel`, { charge: otherWallet }),
      await as("ops-desk", "POST", `/api/v1/intents/${kit.newIntent("SUBMITTED")}/cancel`),
      await as("shop-a", "GET", `/api/v1/reports/daily/${today}`),
      await as("shop-a", "GET", "/api/v1/cancellations?state=open"),
      // Bulk work is reserved: neither a storefront nor a read-only operator holds `bulk`.
      await as("shop-a", "POST", "/api/v1/bulk-cancellations", { items: [{ type: "intent", id: intentId }] }),
      await as("ops-desk", "GET", `/api/v1/bulk-cancellations/${randomUUID()}`),
    ];
    const absent = [
      await as("shop-b", "GET", `/api/v1/orders/${orderId}/cancellation`),
      await as("shop-b", "GET", `/api/v1/orders/${orderId}/cancellation?owner=shop-a`),
      await as("shop-b", "GET", `/api/v1/cancellations/order/${orderId}`),
      await as("shop-b", "GET", `/api/v1/cancellations/intent/${intentId}`),
    ];
    const operator = [
      await as("ops-desk", "GET", `/api/v1/orders/${orderId}/cancellation?owner=shop-a`),
      await as("ops-desk", "GET", `/api/v1/cancellations/order/${orderId}?owner=shop-a`),
    ];

    expect(refused.map((r) => r.statusCode)).toEqual([403, 403, 403, 403, 403, 403]);
    expect(absent.map((r) => r.statusCode)).toEqual([404, 404, 404, 404]);
    expect(operator.map((r) => r.statusCode)).toEqual([200, 200]);
  });

  it("covered every route", () => {
    expect(new Set(seen.map((s) => s.split(" ")[1]))).toEqual(
      new Set(["intents", "bank", "orders", "cancellations", "reports", "bulk-cancellations"]),
    );
  });
});
