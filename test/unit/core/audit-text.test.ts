import { describe, expect, it } from "vitest";
import { AUDIT_TEXT_MAX_CHARS, capAuditText, truncateText } from "#core/audit-text.ts";
import { cancelIntent } from "#core/cancel-intent.ts";
import { cancelOrder } from "#core/cancel-order.ts";
import type { CancelContext } from "#core/dependencies.ts";
import type { AuditRecord, IntentCancelResult } from "#core/ports.ts";
import { inMemoryDependencies } from "#test/support/in-memory-ports.ts";

const context = (scopeKey: string, now: number): CancelContext => ({
  trigger: "http",
  actor: "storefront",
  owner: "storefront",
  correlationId: "corr-1",
  deadline: now + 10_000,
  idempotency: { scopeKey, key: "k" },
});

/** 300,000 characters of what an upstream might send back: a page of HTML, a stack trace. */
const HUGE = "<p>an upstream error page</p>".repeat(10_345).slice(0, 300_000);
const MARKER = "…[truncated, 300000 chars]";

/** Procure-Core refusing every cancel with the huge text as its reason and its message. */
const refusingHugely = async (): Promise<IntentCancelResult> => ({
  kind: "not-cancellable",
  currentStatus: "COMPLETED",
  reason: HUGE,
  meta: { httpStatus: 400, code: 40003, message: HUGE, latencyMs: 1, attempts: 1 },
});

const outsideTexts = (record: AuditRecord): string[] =>
  [record.reason, record.detail, record.upstream?.message, record.upstream?.requestId].filter(
    (text): text is string => text !== undefined,
  );

describe("truncateText", () => {
  it("keeps a text within the cap as it is", () => {
    expect(truncateText("short", 10)).toBe("short");
    expect(truncateText("x".repeat(10), 10)).toBe("x".repeat(10));
  });

  it("keeps the beginning and ends with the marker naming the original length, within the cap", () => {
    const cut = truncateText("a".repeat(12_345), 100);
    expect(cut).toHaveLength(100);
    expect(cut.endsWith("…[truncated, 12345 chars]")).toBe(true);
    expect(cut.startsWith("a".repeat(70))).toBe(true);
  });

  it("never cuts a surrogate pair in two", () => {
    const marker = "…[truncated, 200 chars]";
    const keep = 100 - marker.length;
    // 🚀 is two UTF-16 units, its first one the last unit the cut would keep: it goes whole.
    const text = `${"a".repeat(keep - 1)}🚀${"b".repeat(200 - keep - 1)}`;

    const cut = truncateText(text, 100);

    expect(text).toHaveLength(200);
    expect(cut).toBe(`${"a".repeat(keep - 1)}${marker}`);
  });
});

describe("outside text in audit records (failed before: records kept 300,000 characters)", () => {
  it("a single cancel's record caps the upstream's reason and message, and so does its event", async () => {
    // Prepare
    const t = inMemoryDependencies();
    t.intents.cancelIntent = refusingHugely;

    // Act
    const result = await cancelIntent(t.deps, context("http:app:intent:k1", t.clock.now()), {
      intentId: "intent_1",
    });

    // Assess
    expect(result).toMatchObject({ kind: "outcome", outcome: { type: "NOT_CANCELLABLE" } });
    const [record] = t.audit.records as [AuditRecord];
    expect(record.detail?.endsWith("…[truncated, 300011 chars]")).toBe(true);
    expect(record.upstream?.message?.endsWith(MARKER)).toBe(true);
    for (const text of outsideTexts(record)) expect(text.length).toBeLessThanOrEqual(AUDIT_TEXT_MAX_CHARS);
    const [event] = t.events.events;
    expect(event?.detail.detail?.length).toBe(AUDIT_TEXT_MAX_CHARS);
  });

  it("an order's transition records cap it too (its own record and its intent step)", async () => {
    // Prepare
    const t = inMemoryDependencies();
    t.intents.cancelIntent = refusingHugely;

    // Act
    await cancelOrder(t.deps, context("http:app:order:k1", t.clock.now()), {
      orderId: "order_1",
      intentId: "intent_1",
    });

    // Assess
    expect(t.audit.records.length).toBeGreaterThanOrEqual(2);
    const capped = t.audit.records.filter((record) => record.detail?.includes("…[truncated, "));
    expect(capped.map((record) => record.target.type).sort()).toEqual(["intent", "order"]);
    for (const record of t.audit.records) {
      for (const text of outsideTexts(record)) expect(text.length).toBeLessThanOrEqual(AUDIT_TEXT_MAX_CHARS);
    }
  });

  it("caps the requester's reason and a string upstream code as well, and leaves short texts alone", () => {
    const record: AuditRecord = {
      id: "01JTEST",
      at: "2026-11-23T10:00:00.000Z",
      target: { type: "intent", id: "intent_1" },
      trigger: "bus",
      actor: "storefront",
      reason: HUGE,
      outcome: "FAILED",
      detail: "short",
      upstream: { httpStatus: 500, code: HUGE, requestId: "req-1" },
      latencyMs: 1,
      correlationId: "corr-1",
    };

    const capped = capAuditText(record);

    expect(capped.reason).toHaveLength(AUDIT_TEXT_MAX_CHARS);
    expect(capped.upstream?.code).toHaveLength(AUDIT_TEXT_MAX_CHARS);
    expect({ ...capped, reason: record.reason, upstream: { ...capped.upstream, code: HUGE } }).toEqual(
      record,
    );
  });
});
