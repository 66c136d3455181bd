import type { SQSRecord } from "aws-lambda";
import { describe, expect, it } from "vitest";
import type { BusVerdict } from "#handlers/bus/bus-verdict.ts";
import {
  DEFAULT_RATE_LIMIT_DELAY_SECONDS,
  IN_PROGRESS_RECHECK_SECONDS,
  redeliveryDelaySeconds,
} from "#handlers/bus/redelivery-delay.ts";
import { readMessage, redeliveryHistory } from "#handlers/bus/sqs-message.ts";

type Later = Extract<BusVerdict, { kind: "later" }>;
const later = (why: Later["why"], retryAfterSeconds?: number): Later => ({
  kind: "later",
  why,
  reason: "test",
  ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
});

describe("redeliveryDelaySeconds", () => {
  it("waits a rate limit's Retry-After, plus up to a quarter more at random", () => {
    expect(redeliveryDelaySeconds(later("rate-limited", 40), 0)).toBe(40);
    expect(redeliveryDelaySeconds(later("rate-limited", 40), 0.999)).toBe(49);
    expect(redeliveryDelaySeconds(later("rate-limited", 1), 0.999)).toBe(1);
  });

  it("assumes a minute when the rate limit named no wait", () => {
    expect(redeliveryDelaySeconds(later("rate-limited"), 0)).toBe(DEFAULT_RATE_LIMIT_DELAY_SECONDS);
  });

  it("never asks SQS for more than 15 minutes", () => {
    expect(redeliveryDelaySeconds(later("rate-limited", 3_600), 0.5)).toBe(900);
  });

  it("checks a request running elsewhere again soon, at most after IN_PROGRESS_RECHECK_SECONDS", () => {
    expect(redeliveryDelaySeconds(later("in-progress", 58), 0.9)).toBe(IN_PROGRESS_RECHECK_SECONDS);
    expect(redeliveryDelaySeconds(later("in-progress", 1), 0.9)).toBe(1);
  });

  it("puts a message not started for lack of time back at once", () => {
    expect(redeliveryDelaySeconds(later("no-time"), 0.9)).toBe(0);
  });
});

describe("readMessage", () => {
  it("reads the EventBridge event the rule delivered", () => {
    const event = { id: "e-1", source: "storefront.orders", "detail-type": "Cancel Requested", detail: {} };

    expect(readMessage({ body: JSON.stringify(event) })).toEqual({ ok: true, event });
  });

  it("says why a body is not an EventBridge event", () => {
    expect(readMessage({ body: "not json" })).toEqual({ ok: false, reason: "the body is not JSON" });
    expect(readMessage({ body: "[1]" })).toEqual({ ok: false, reason: "the body is not a JSON object" });
    expect(readMessage({ body: '{"id":"e","source":"s","detail-type":"d"}' })).toEqual({
      ok: false,
      reason: 'the body has no "detail"',
    });
    expect(readMessage({ body: '{"id":"","source":"s","detail-type":"d","detail":{}}' })).toEqual({
      ok: false,
      reason: 'the body has no "id"',
    });
  });
});

describe("redeliveryHistory", () => {
  const record = (attributes: SQSRecord["messageAttributes"]): SQSRecord =>
    ({
      messageAttributes: attributes,
      attributes: { SentTimestamp: "1700000000000" },
    }) as unknown as SQSRecord;

  it("starts a first delivery at 0, from its SentTimestamp", () => {
    expect(redeliveryHistory(record({}))).toEqual({ redeliveries: 0, firstSentAt: 1_700_000_000_000 });
  });

  it("carries a copy's count and the first copy's time", () => {
    const copy = record({
      redeliveries: { dataType: "Number", stringValue: "3", stringListValues: [], binaryListValues: [] },
      firstSentAt: {
        dataType: "Number",
        stringValue: "1600000000000",
        stringListValues: [],
        binaryListValues: [],
      },
    });

    expect(redeliveryHistory(copy)).toEqual({ redeliveries: 3, firstSentAt: 1_600_000_000_000 });
  });
});
