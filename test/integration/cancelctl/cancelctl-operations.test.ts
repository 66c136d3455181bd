import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Cancellation } from "#core/cancellation.ts";
import type { DailyReport } from "#core/daily-report.ts";
import type { RunningFrontDoor } from "#local/stack/front-door.ts";
import { syntheticDay, writeAuditRecords } from "#test/support/audit-day.ts";
import { type HandlerKit, startHandlerKit } from "#test/support/handler-kit.ts";
import { startTestFrontDoor } from "#test/support/local-front-door.ts";
import { runCli } from "../../../bin/cancelctl/cli.ts";
import { REPORT_CSV_HEADER } from "../../../bin/cancelctl/daily-report-csv.ts";

/**
 * `cancelctl report` and `cancelctl pending` end to end: the real CLI, signing, through the
 * local stack's front door to the exported HTTP handler, on DynamoDB Local.
 */
describe("cancelctl report and pending", () => {
  let kit: HandlerKit;
  let door: RunningFrontDoor;
  const DAY = "2026-09-14";
  let expected: ReturnType<typeof syntheticDay>["expected"];

  beforeAll(async () => {
    kit = await startHandlerKit({ name: "cancelctl-ops", dynamoEndpoint: inject("dynamoEndpoint") });
    door = await startTestFrontDoor({ http: kit.handlers.http as never });
    const day = syntheticDay(DAY, 300, "cli");
    expected = day.expected;
    await writeAuditRecords(kit.dynamo, kit.tables.auditTable, day.records);
  });
  afterAll(async () => {
    await door?.close();
    await kit?.close();
  });

  const run = async (...argv: string[]) => {
    let out = "";
    let err = "";
    const code = await runCli(
      argv,
      {
        CANCEL_API_URL: door.url,
        APP_ID: kit.app.appId,
        APP_SECRET: kit.app.secret,
        CANCEL_LOCAL_DIR: "/nonexistent",
      },
      { out: (text) => (out += `${text}\n`), err: (text) => (err += text), errIsTty: false },
    );
    return { code, out, err };
  };

  describe("report", () => {
    it("prints the day's totals, refunds, failures and what is not final, with progress on stderr", async () => {
      const result = await run("report", "--day", DAY);

      expect(result.code).toBe(0);
      expect(result.err).toBe(`reading the audit log of ${DAY}…\n`);
      expect(result.out).toMatch(
        new RegExp(`^REPORT  ${DAY} \\(UTC\\): 300 audit records, ${expected.targets} targets`),
      );
      expect(result.out).toMatch(/TARGET TYPE +TRIGGER +OUTCOME +TARGETS\n/);
      expect(result.out).toMatch(/\nintent +bus +CANCELLED +\d+\n/);
      expect(result.out).toContain(`Refunds required (${expected.refunds})`);
      expect(result.out).toContain(`Failures (${expected.failures})`);
      expect(result.out).toContain(`Not final (${expected.notFinal})`);
      expect(result.out).toMatch(
        /charge c0ffee00-0000-4000-8000-\d{12} +409 CANCEL_NOT_ALLOWED +corr-cli-\d+/,
      );
    });

    it("prints the report as JSON, exactly as the route answers it", async () => {
      const result = await run("report", "--day", DAY, "--json");

      expect(result.code).toBe(0);
      const report = JSON.parse(result.out) as DailyReport;
      expect(report).toMatchObject({ day: DAY, records: 300, targets: expected.targets });
      expect(report.refundsRequired).toHaveLength(expected.refunds);
    });

    it("prints one CSV table: a row per total and per listed target", async () => {
      const json = JSON.parse((await run("report", "--day", DAY, "--json")).out) as DailyReport;

      const result = await run("report", "--day", DAY, "--csv");

      expect(result.code).toBe(0);
      const lines = result.out.trimEnd().split("\r\n");
      expect(lines[0]).toBe(REPORT_CSV_HEADER.join(","));
      expect(lines).toHaveLength(
        1 + json.totals.length + json.refundsRequired.length + json.failures.length + json.notFinal.length,
      );
      expect(lines.filter((l) => l.startsWith("refund-required,charge,"))).toHaveLength(expected.refunds);
      expect(lines.find((l) => l.startsWith("failure,"))).toMatch(
        /,FAILED,,.*,503,,unavailable,corr-cli-\d+,$/,
      );
    });

    it("says a day without records recorded nothing", async () => {
      const result = await run("report", "--day", "2019-01-01");

      expect(result.code).toBe(0);
      expect(result.out).toContain("Nothing was recorded that day.");
    });

    it("fails with the service's reason for a malformed day, and refuses a missing one", async () => {
      const malformed = await run("report", "--day", "2026-13-01");
      const missing = await run("report");
      const both = await run("report", "--day", DAY, "--csv", "--json");

      expect(malformed.code).toBe(1);
      expect(malformed.out).toMatch(
        /FAILED \(HTTP 400: validation\) +report of 2026-13-01\n\n +day must be a calendar date/,
      );
      expect(missing.code).toBe(64);
      expect(missing.err).toContain("report needs --day");
      expect(both.code).toBe(64);
    });
  });

  describe("pending", () => {
    const NOW = Date.now();
    const open = (
      id: string,
      state: Cancellation["state"],
      ageMinutes: number,
      nextCheckInMinutes: number,
    ): Cancellation => ({
      kind: "order",
      id,
      state,
      ...(state === "STUCK" && { stuckIn: "CHARGE_DUE" as const }),
      version: 2,
      request: {
        trigger: "http",
        actor: "storefront_app",
        correlationId: `corr-${id}`,
        scopeKey: `s-${id}`,
        requestedAt: new Date(NOW - ageMinutes * 60_000).toISOString(),
      },
      steps: {},
      nextCheckAt: NOW + nextCheckInMinutes * 60_000,
      checks: 1,
      ...(state === "STUCK" && {
        lastProblem: {
          problem: "unavailable" as const,
          reason: "A55 answered 503",
          at: new Date(NOW).toISOString(),
        },
      }),
      updatedAt: new Date(NOW).toISOString(),
    });

    beforeAll(async () => {
      // 120 open cancellations (two pages of the route), one of them STUCK and the oldest.
      for (let i = 0; i < 119; i++) {
        await kit.container.deps.work.commitTransition(
          {
            next: open(`order-${String(i).padStart(3, "0")}`, "INTENT_PENDING", 10 + i, i % 7),
            expectedVersion: null,
          },
          [],
        );
      }
      await kit.container.deps.work.commitTransition(
        { next: open("order-stuck", "STUCK", 25 * 60, 30), expectedVersion: null },
        [],
      );
    });

    it("lists every cancellation not final, across pages, oldest first, with age and next check", async () => {
      const result = await run("pending");

      expect(result.code).toBe(0);
      const lines = result.out.trimEnd().split("\n");
      expect(lines[0]).toBe("120 cancellations not final, oldest first");
      expect(lines[2]).toMatch(
        /^AGE +STATE +CANCELLATION +REQUESTED +NEXT CHECK +CHECKS +LAST PROBLEM +CORRELATION ID$/,
      );
      expect(lines[3]).toMatch(
        /^1d 1h +STUCK \(in CHARGE_DUE\) +order order-stuck .* unavailable: A55 answered 503 +corr-order-stuck$/,
      );
      expect(lines[4]).toMatch(/^2h \d+m +INTENT_PENDING +order order-118 /);
      expect(lines.at(-1)).toMatch(/^10m \d+s +INTENT_PENDING +order order-000 /);
      expect(lines).toHaveLength(3 + 120);
    });

    it("lists only STUCK ones with --stuck, and JSON for scripts", async () => {
      const table = await run("pending", "--stuck");
      const json = await run("pending", "--stuck", "--json");

      expect(table.out).toMatch(/^1 cancellation STUCK, oldest first/);
      expect(JSON.parse(json.out)).toMatchObject({
        items: [{ id: "order-stuck", state: "STUCK", checks: 1 }],
      });
    });
  });
});
