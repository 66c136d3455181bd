import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Cancellation } from "#core/cancellation.ts";
import type { DailyReport } from "#core/daily-report.ts";
import type { OpenCancellationView } from "#core/open-cancellations.ts";
import { A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";
import { syntheticDay, writeAuditRecords } from "#test/support/audit-day.ts";
import { type HandlerKit, startHandlerKit } from "#test/support/handler-kit.ts";
import { apiGatewayV2Event, lambdaContext } from "#test/support/lambda-events.ts";

describe("http-api handler: GET /api/v1/reports/daily/{day} and GET /api/v1/cancellations", () => {
  let kit: HandlerKit;

  beforeAll(async () => {
    kit = await startHandlerKit({ name: "http-operations", dynamoEndpoint: inject("dynamoEndpoint") });
  });
  afterAll(async () => {
    await kit?.close();
  });

  const get = (path: string) => kit.http(kit.signed({ method: "GET", path }));

  describe("daily report", () => {
    it("reports the day's real cancels from the audit log, each target by its latest record", async () => {
      // Prepare: cancels through the handlers, today
      const intentId = kit.newIntent("SUBMITTED");
      const processing = kit.newIntent("PROCESSING");
      const settled = kit.newCharge("settled");
      await kit.http(kit.signed({ method: "POST", path: `/api/v1/intents/${intentId}/cancel` }));
      await kit.http(kit.signed({ method: "POST", path: `/api/v1/intents/${processing}/cancel` }));
      const refund = await kit.http(
        kit.bearer({
          method: "POST",
          path: `/api/v1/bank/wallet/charge/${settled}/cancel/${A55_DEMO_WALLET}/`,
        }),
      );
      expect(refund.statusCode).toBe(409);
      const today = new Date().toISOString().slice(0, 10);

      // Act
      const response = await get(`/api/v1/reports/daily/${today}`);

      // Assess
      expect(response.statusCode).toBe(200);
      const report = response.body as DailyReport;
      expect(report.day).toBe(today);
      expect(report.totals).toEqual(
        expect.arrayContaining([
          { targetType: "intent", trigger: "http", outcome: "CANCELLED", targets: expect.any(Number) },
          { targetType: "charge", trigger: "http", outcome: "REFUND_REQUIRED", targets: expect.any(Number) },
        ]),
      );
      const refundEntry = report.refundsRequired.find((e) => e.target.id === settled);
      expect(refundEntry).toMatchObject({
        target: { type: "charge", id: settled, walletUuid: A55_DEMO_WALLET },
        outcome: "REFUND_REQUIRED",
        upstreamStatus: 409,
        correlationId: expect.any(String),
      });
      expect(report.notFinal.find((e) => e.target.id === processing)).toMatchObject({ outcome: "PENDING" });
      expect(report.failures.find((e) => e.target.id === intentId)).toBeUndefined();
    });

    it("reads a day of more than one page (1,200 records) and gets every count right", async () => {
      // Prepare
      const day = "2026-10-05";
      const { records, expected } = syntheticDay(day, 1200, "pages");
      await writeAuditRecords(kit.dynamo, kit.tables.auditTable, records);

      // Act
      const response = await get(`/api/v1/reports/daily/${day}`);

      // Assess
      expect(response.statusCode).toBe(200);
      const report = response.body as DailyReport;
      expect(report.records).toBe(1200);
      expect(report.targets).toBe(expected.targets);
      expect(report.totals.reduce((sum, total) => sum + total.targets, 0)).toBe(expected.targets);
      expect(report.refundsRequired).toHaveLength(expected.refunds);
      expect(report.failures).toHaveLength(expected.failures);
      expect(report.notFinal).toHaveLength(expected.notFinal);
      expect(report.notFinal.every((e) => e.state === "STUCK")).toBe(true);
    });

    it("answers an empty report, not an error, for a day without records", async () => {
      const response = await get("/api/v1/reports/daily/2020-02-29");

      expect(response.statusCode).toBe(200);
      expect(response.body).toEqual({
        day: "2020-02-29",
        records: 0,
        targets: 0,
        totals: [],
        refundsRequired: [],
        failures: [],
        notFinal: [],
      });
    });

    it.each(["2026-13-01", "yesterday", "2026-02-30"])(
      "answers 400 naming the field for the day %s",
      async (day) => {
        const response = await get(`/api/v1/reports/daily/${day}`);

        expect(response.statusCode).toBe(400);
        expect(response.body).toMatchObject({ error: { code: "validation", field: "day" } });
      },
    );

    it("answers 503, not a timeout, when the invocation has no time left to read the day", async () => {
      // Prepare: 1 s left, all of it kept back as the write margin
      const event = kit.signed({ method: "GET", path: "/api/v1/reports/daily/2026-10-05" });

      // Act
      const response = await kit.http(event, lambdaContext({ remainingMs: 1000 }));

      // Assess
      expect(response.statusCode).toBe(503);
      expect(response.body).toMatchObject({ error: { code: "unavailable" } });
    });

    it("refuses an unsigned request and another method", async () => {
      const unsigned = await kit.http(
        apiGatewayV2Event({ method: "GET", path: "/api/v1/reports/daily/2026-10-05" }),
      );
      const post = await kit.http(kit.signed({ method: "POST", path: "/api/v1/reports/daily/2026-10-05" }));

      expect(unsigned.statusCode).toBe(401);
      expect(post.statusCode).toBe(405);
      expect(post.headers.allow).toBe("GET");
    });
  });

  // Its own tables, so the cancels of the report tests above add no open cancellation to its listings.
  describe("open cancellations", () => {
    const NOW = Date.now();
    let openKit: HandlerKit;
    const get = (path: string) => openKit.http(openKit.signed({ method: "GET", path }));
    afterAll(async () => {
      await openKit?.close();
    });
    const cancellation = (
      id: string,
      state: Cancellation["state"],
      ageMinutes: number,
      nextCheckInMinutes: number,
    ): Cancellation => ({
      kind: id.startsWith("order") ? "order" : "intent",
      id,
      state,
      ...(state === "STUCK" && { stuckIn: "INTENT_PENDING" as const }),
      version: 1,
      request: {
        intentId: id.startsWith("order") ? `intent_of_${id}` : id,
        trigger: "http",
        actor: "storefront_app",
        correlationId: `corr-${id}`,
        scopeKey: `scope-${id}`,
        requestedAt: new Date(NOW - ageMinutes * 60_000).toISOString(),
      },
      steps: {},
      ...(state === "DONE"
        ? { outcome: { type: "CANCELLED", target: { type: "intent", id } } }
        : { nextCheckAt: NOW + nextCheckInMinutes * 60_000 }),
      checks: 3,
      updatedAt: new Date(NOW).toISOString(),
    });

    beforeAll(async () => {
      openKit = await startHandlerKit({
        name: "http-open-cancellations",
        dynamoEndpoint: inject("dynamoEndpoint"),
      });
      const work = openKit.container.deps.work;
      for (const c of [
        cancellation("order-young", "REQUESTED", 1, 1),
        cancellation("intent_waiting", "INTENT_PENDING", 30, 2),
        cancellation("order-stuck", "STUCK", 26 * 60, 30),
        cancellation("order-charge", "CHARGE_DUE", 5, 0),
        cancellation("order-done", "DONE", 60, 0),
      ]) {
        await work.commitTransition({ next: c, expectedVersion: null }, []);
      }
    });

    it("lists every cancellation not final, oldest-due first, with its age and next check", async () => {
      const response = await get("/api/v1/cancellations");

      expect(response.statusCode).toBe(200);
      const { items, cursor } = response.body as { items: OpenCancellationView[]; cursor?: string };
      expect(cursor).toBeUndefined();
      expect(items.map((i) => [i.id, i.state])).toEqual([
        ["order-charge", "CHARGE_DUE"],
        ["order-young", "REQUESTED"],
        ["intent_waiting", "INTENT_PENDING"],
        ["order-stuck", "STUCK"],
      ]);
      const stuck = items[3];
      expect(stuck).toMatchObject({
        kind: "order",
        stuckIn: "INTENT_PENDING",
        checks: 3,
        correlationId: "corr-order-stuck",
      });
      expect(stuck?.ageSeconds).toBeGreaterThanOrEqual(26 * 3600);
      expect(Date.parse(stuck?.nextCheckAt ?? "")).toBe(NOW + 30 * 60_000);
    });

    it("lists only STUCK ones with state=stuck", async () => {
      const response = await get("/api/v1/cancellations?state=stuck");

      expect(response.statusCode).toBe(200);
      expect((response.body as { items: OpenCancellationView[] }).items.map((i) => i.id)).toEqual([
        "order-stuck",
      ]);
    });

    it("pages with limit and cursor", async () => {
      const first = await get("/api/v1/cancellations?limit=3");
      const { items, cursor } = first.body as { items: OpenCancellationView[]; cursor: string };
      const second = await get(`/api/v1/cancellations?limit=3&cursor=${encodeURIComponent(cursor)}`);

      expect(items).toHaveLength(3);
      expect((second.body as { items: OpenCancellationView[] }).items.map((i) => i.id)).toEqual([
        "order-stuck",
      ]);
    });

    it.each([
      ["state=closed", "state"],
      ["limit=0", "limit"],
      ["limit=101", "limit"],
      ["cursor=bogus", "cursor"],
    ])("answers 400 for %s, naming %s", async (query, field) => {
      const response = await get(`/api/v1/cancellations?${query}`);

      expect(response.statusCode).toBe(400);
      expect(response.body).toMatchObject({ error: { code: "validation", field } });
    });
  });
});
