import { describe, expect, it } from "vitest";
import { DailyReportBuilder, dailyReport, isCalendarDay } from "#core/daily-report.ts";
import { ReportDeadlineError, ValidationError } from "#core/errors.ts";
import type { AuditLog, AuditRecord, Page } from "#core/ports.ts";
import { FakeClock } from "#test/support/in-memory-ports.ts";

let sequence = 0;
const record = (overrides: Partial<AuditRecord> & Pick<AuditRecord, "at" | "outcome">): AuditRecord => {
  sequence += 1;
  return {
    id: `01JREPORT${String(sequence).padStart(17, "0")}`,
    target: { type: "intent", id: "intent_1" },
    trigger: "http",
    actor: "storefront",
    latencyMs: 10,
    correlationId: `corr-${sequence}`,
    ...overrides,
  };
};

/**
 * An audit log that serves a day's records in pages of `limit`, as the DynamoDB one does,
 * spread over `slices` slices (record i in slice i mod slices), each read on its own.
 */
class PagedAuditLog implements Pick<AuditLog, "byDay" | "daySlices"> {
  readonly calls: { slice: string; limit?: number; cursor?: string }[] = [];
  readonly records: AuditRecord[];
  readonly #slices: number;
  inFlight = 0;
  maxInFlight = 0;
  /** Called before each page is served (a slow store, a failing one). */
  beforePage: (slice: string) => Promise<void> = async () => {};
  constructor(records: AuditRecord[], slices = 1) {
    this.records = records;
    this.#slices = slices;
  }
  daySlices(): readonly string[] {
    return Array.from({ length: this.#slices }, (_, n) => String(n));
  }
  async byDay(
    day: string,
    slice: string,
    options: { limit?: number; cursor?: string } = {},
  ): Promise<Page<AuditRecord>> {
    this.calls.push({ slice, ...options });
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.beforePage(slice);
      const ofSlice = this.records.filter(
        (r, index) => r.at.startsWith(day) && index % this.#slices === Number(slice),
      );
      const start = options.cursor === undefined ? 0 : Number(options.cursor);
      const limit = options.limit ?? 50;
      const items = ofSlice.slice(start, start + limit);
      return start + limit < ofSlice.length ? { items, cursor: String(start + limit) } : { items };
    } finally {
      this.inFlight -= 1;
    }
  }
}

const DAY = "2026-11-23";

describe("isCalendarDay", () => {
  it("accepts real dates and refuses everything else", () => {
    // Prepare
    const good = ["2026-11-23", "2024-02-29", "2000-02-29", "2026-12-31", "2026-01-01"];
    const bad = [
      "2026-13-01",
      "2026-02-29",
      "1900-02-29",
      "2026-04-31",
      "2026-00-10",
      "yesterday",
      "2026-1-1",
      "",
    ];

    // Act
    const verdicts = [...good, ...bad].map(isCalendarDay);

    // Assess
    expect(verdicts).toEqual([...good.map(() => true), ...bad.map(() => false)]);
  });
});

describe("DailyReportBuilder", () => {
  it("counts each target once, by its latest record of the day", () => {
    // Prepare: an intent that failed (operationally) then was cancelled, a charge cancelled by the bus
    const builder = new DailyReportBuilder(DAY);
    const charge = { type: "charge", id: "c0ffee00-0000-4000-8000-000000000009", walletUuid: "w" } as const;

    // Act
    builder.add([
      record({ at: `${DAY}T01:00:00.000Z`, outcome: "FAILED", retryable: true, problem: "unavailable" }),
      record({ at: `${DAY}T01:05:00.000Z`, outcome: "CANCELLED" }),
      record({ at: `${DAY}T02:00:00.000Z`, outcome: "CANCELLED", target: charge, trigger: "bus" }),
    ]);
    const report = builder.build();

    // Assess
    expect(report).toMatchObject({ day: DAY, records: 3, targets: 2, failures: [], notFinal: [] });
    expect(report.totals).toEqual([
      { targetType: "charge", trigger: "bus", outcome: "CANCELLED", targets: 1 },
      { targetType: "intent", trigger: "http", outcome: "CANCELLED", targets: 1 },
    ]);
  });

  it("takes the latest record by time and id whatever order the records come in", () => {
    // Prepare
    const early = record({ at: `${DAY}T09:00:00.000Z`, outcome: "PENDING", state: "INTENT_PENDING" });
    const late = record({ at: `${DAY}T10:00:00.000Z`, outcome: "CANCELLED", via: "continuation" });
    const builder = new DailyReportBuilder(DAY);

    // Act
    builder.add([late]);
    builder.add([early]);

    // Assess
    expect(builder.build()).toMatchObject({
      records: 2,
      targets: 1,
      notFinal: [],
      totals: [{ outcome: "CANCELLED", targets: 1 }],
    });
  });

  it("lists failures and anything not final (PENDING or an open state such as STUCK), with target, time, upstream code and correlation id", () => {
    // Prepare
    const builder = new DailyReportBuilder(DAY);
    const failed = record({
      at: `${DAY}T03:00:00.000Z`,
      outcome: "FAILED",
      retryable: true,
      problem: "credentials-refused",
      target: { type: "intent", id: "intent_failed" },
      upstream: { httpStatus: 401, code: 40100, requestId: "r-1" },
    });
    const pending = record({
      at: `${DAY}T04:00:00.000Z`,
      outcome: "PENDING",
      state: "INTENT_PENDING",
      target: { type: "intent", id: "intent_processing" },
      upstream: { httpStatus: 200, code: 0 },
    });
    const stuck = record({
      at: `${DAY}T05:00:00.000Z`,
      outcome: "PENDING",
      state: "STUCK",
      target: { type: "order", id: "order-7" },
      trigger: "bus",
      via: "continuation",
    });

    // Act
    builder.add([stuck, failed, pending]);
    const report = builder.build();

    // Assess
    expect(report.failures).toEqual([
      {
        target: { type: "intent", id: "intent_failed" },
        at: failed.at,
        outcome: "FAILED",
        trigger: "http",
        upstreamStatus: 401,
        upstreamCode: 40100,
        problem: "credentials-refused",
        retryable: true,
        correlationId: failed.correlationId,
        recordId: failed.id,
      },
    ]);
    expect(report.notFinal.map((e) => [e.target.id, e.state, e.upstreamCode, e.correlationId])).toEqual([
      ["intent_processing", "INTENT_PENDING", 0, pending.correlationId],
      ["order-7", "STUCK", undefined, stuck.correlationId],
    ]);
  });

  it("lists an order's refund once, under its charge, and an order's refund alone when its charge step is not in the day", () => {
    // Prepare
    const charge = { type: "charge", id: "c0ffee00-0000-4000-8000-000000000001", walletUuid: "w" } as const;
    const builder = new DailyReportBuilder(DAY);

    // Act
    builder.add([
      record({ at: `${DAY}T06:00:00.000Z`, outcome: "REFUND_REQUIRED", target: charge, orderId: "order-1" }),
      record({
        at: `${DAY}T06:00:00.001Z`,
        outcome: "REFUND_REQUIRED",
        target: { type: "order", id: "order-1" },
      }),
      record({
        at: `${DAY}T07:00:00.000Z`,
        outcome: "REFUND_REQUIRED",
        target: { type: "order", id: "order-2" },
      }),
      record({
        at: `${DAY}T08:00:00.000Z`,
        outcome: "REFUND_REQUIRED",
        target: { ...charge, id: "c0ffee00-0000-4000-8000-000000000002" },
        trigger: "bus",
        upstream: { httpStatus: 409, code: "CANCEL_NOT_ALLOWED" },
      }),
    ]);
    const report = builder.build();

    // Assess
    expect(
      report.refundsRequired.map((e) => [e.target.type, e.target.id, e.orderId, e.upstreamCode]),
    ).toEqual([
      ["charge", "c0ffee00-0000-4000-8000-000000000001", "order-1", undefined],
      ["order", "order-2", undefined, undefined],
      ["charge", "c0ffee00-0000-4000-8000-000000000002", undefined, "CANCEL_NOT_ALLOWED"],
    ]);
    expect(report.totals).toContainEqual({
      targetType: "order",
      trigger: "http",
      outcome: "REFUND_REQUIRED",
      targets: 2,
    });
  });
});

describe("dailyReport", () => {
  it("reads every page of the day and reports progress", async () => {
    // Prepare: 25 intents, one record each, served 10 per page
    const records = Array.from({ length: 25 }, (_, i) =>
      record({
        at: `${DAY}T10:00:${String(i).padStart(2, "0")}.000Z`,
        outcome: "CANCELLED",
        target: { type: "intent", id: `intent_${i}` },
      }),
    );
    const audit = new PagedAuditLog([
      ...records,
      record({ at: "2026-11-24T00:00:00.000Z", outcome: "CANCELLED" }),
    ]);
    const progress: number[] = [];

    // Act
    const report = await dailyReport({ audit, clock: new FakeClock() }, DAY, {
      pageSize: 10,
      onProgress: (read) => progress.push(read),
    });

    // Assess
    expect(report).toMatchObject({ records: 25, targets: 25 });
    expect(report.totals).toEqual([
      { targetType: "intent", trigger: "http", outcome: "CANCELLED", targets: 25 },
    ]);
    expect(audit.calls.map((c) => c.cursor)).toEqual([undefined, "10", "20"]);
    expect(progress).toEqual([10, 20, 25]);
  });

  it("answers an empty report for a day without records", async () => {
    // Prepare
    const audit = new PagedAuditLog([]);

    // Act
    const report = await dailyReport({ audit, clock: new FakeClock() }, "2026-01-01");

    // Assess
    expect(report).toEqual({
      day: "2026-01-01",
      records: 0,
      targets: 0,
      totals: [],
      refundsRequired: [],
      failures: [],
      notFinal: [],
    });
  });

  it.each(["2026-13-01", "yesterday", "2026-02-30"])(
    "refuses %s naming the field, without reading",
    async (day) => {
      // Prepare
      const audit = new PagedAuditLog([]);

      // Act
      const failure = dailyReport({ audit, clock: new FakeClock() }, day);

      // Assess
      await expect(failure).rejects.toBeInstanceOf(ValidationError);
      await expect(failure).rejects.toMatchObject({ field: "day" });
      expect(audit.calls).toEqual([]);
    },
  );

  it("stops before the deadline instead of being cut off, saying how far it got", async () => {
    // Prepare: each page read takes 400 ms of the clock
    const clock = new FakeClock();
    const records = Array.from({ length: 30 }, (_, i) =>
      record({ at: `${DAY}T11:00:${String(i).padStart(2, "0")}.000Z`, outcome: "CANCELLED" }),
    );
    const audit = new PagedAuditLog(records);
    audit.beforePage = async () => clock.advance(400);

    // Act
    const failure = dailyReport({ audit, clock }, DAY, { pageSize: 10, deadline: clock.now() + 700 });

    // Assess
    await expect(failure).rejects.toBeInstanceOf(ReportDeadlineError);
    await expect(failure).rejects.toMatchObject({ recordsRead: 20 });
  });

  it("reads every slice of the day at once and merges them: each target's latest record wins whatever its slice, lists in time order", async () => {
    // Prepare: 40 targets with 3 records each (PENDING, then FAILED, then the outcome), the
    // records of one target falling in different slices; served 5 per page, from 4 slices.
    const records: AuditRecord[] = [];
    for (let t = 0; t < 40; t++) {
      const target = { type: "charge" as const, id: `c${t}`, walletUuid: "w" };
      const minute = String(t).padStart(2, "0");
      records.push(
        record({ target, at: `${DAY}T10:${minute}:00.000Z`, outcome: "PENDING", state: "INTENT_PENDING" }),
        record({ target, at: `${DAY}T10:${minute}:01.000Z`, outcome: "FAILED", retryable: true }),
        record({
          target,
          at: `${DAY}T10:${minute}:02.000Z`,
          outcome: t % 4 === 0 ? "REFUND_REQUIRED" : "CANCELLED",
        }),
      );
    }
    const sliced = new PagedAuditLog([...records].reverse(), 4);
    sliced.beforePage = () => new Promise((resolve) => setTimeout(resolve, 1));
    const whole = new PagedAuditLog(records, 1);

    // Act
    const report = await dailyReport({ audit: sliced, clock: new FakeClock() }, DAY, { pageSize: 5 });
    const reference = await dailyReport({ audit: whole, clock: new FakeClock() }, DAY, { pageSize: 1000 });

    // Assess
    expect(report).toEqual(reference);
    expect(report).toMatchObject({ records: 120, targets: 40, failures: [], notFinal: [] });
    expect(report.refundsRequired.map((entry) => entry.target.id)).toEqual(
      Array.from({ length: 10 }, (_, i) => `c${i * 4}`),
    );
    expect(new Set(sliced.calls.map((call) => call.slice))).toEqual(new Set(["0", "1", "2", "3"]));
    expect(sliced.maxInFlight).toBe(4);
  });

  it("fails when one slice cannot be read, and the other slices stop at their next page", async () => {
    // Prepare
    const records = Array.from({ length: 60 }, (_, i) =>
      record({ at: `${DAY}T12:00:${String(i).padStart(2, "0")}.000Z`, outcome: "CANCELLED" }),
    );
    const audit = new PagedAuditLog(records, 3);
    const outage = new Error("slice 1 unreadable");
    audit.beforePage = async (slice) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (slice === "1") throw outage;
    };

    // Act
    const failure = dailyReport({ audit, clock: new FakeClock() }, DAY, { pageSize: 2 });

    // Assess
    await expect(failure).rejects.toBe(outage);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(audit.calls.filter((call) => call.slice !== "1").length).toBeLessThanOrEqual(4);
  });
});
