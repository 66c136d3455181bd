import { describe, expect, it } from "vitest";
import { parseCancelRequested } from "#adapters/events/cancel-requested-schema.ts";

const CONTROL_MESSAGE =
  "must not contain control characters (C0 with TAB, CR and LF; DEL; C1; U+2028, U+2029) or lone surrogates";
const CHARGE = "3f2b8c1d-9e4a-4b6c-8d7e-1a2b3c4d5e6f";
const WALLET = "A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D";

const issuesOf = (detail: unknown) => {
  const result = parseCancelRequested(detail);
  if (result.ok) throw new Error("expected the detail to be refused");
  return result.issues;
};

describe("parseCancelRequested", () => {
  it.each([
    ["an intent", { target: { type: "intent", id: "intent_67890" } }],
    ["a charge", { target: { type: "charge", chargeUuid: CHARGE, walletUuid: WALLET } }],
    ["an order with its intent", { target: { type: "order", orderId: "order-7781", intentId: "intent_1" } }],
    [
      "an order with its charge only",
      {
        target: { type: "order", orderId: "order-7781", charge: { chargeUuid: CHARGE, walletUuid: WALLET } },
      },
    ],
    [
      "everything",
      {
        target: {
          type: "order",
          orderId: "o:1.2_3-4",
          intentId: "intent_1",
          charge: { chargeUuid: CHARGE, walletUuid: WALLET },
        },
        reason: "r".repeat(500),
        idempotencyKey: "k".repeat(128),
        requestedBy: "risk-service",
      },
    ],
  ])("accepts %s", (_name, detail) => {
    expect(parseCancelRequested(detail)).toEqual({ ok: true, value: detail });
  });

  it("drops unknown fields", () => {
    const result = parseCancelRequested({ target: { type: "intent", id: "i1", extra: 1 }, other: true });
    expect(result).toEqual({ ok: true, value: { target: { type: "intent", id: "i1" } } });
  });

  it("names a bad charge UUID by its path", () => {
    expect(issuesOf({ target: { type: "charge", chargeUuid: "not-a-uuid", walletUuid: WALLET } })).toEqual([
      { field: "target.chargeUuid", message: "must be a UUID (8-4-4-4-12 hex digits)" },
    ]);
  });

  it("names missing fields", () => {
    expect(issuesOf({})).toEqual([{ field: "target", message: "is missing" }]);
    expect(issuesOf({ target: { type: "charge", chargeUuid: CHARGE } })).toEqual([
      { field: "target.walletUuid", message: "is missing" },
    ]);
  });

  it("names an unknown target type", () => {
    expect(issuesOf({ target: { type: "refund", id: "x" } })).toEqual([
      { field: "target.type", message: 'must have type "intent", "charge" or "order"' },
    ]);
  });

  it("refuses an order target with neither intentId nor charge", () => {
    expect(issuesOf({ target: { type: "order", orderId: "o1" } })).toEqual([
      { field: "target", message: "an order target needs intentId, charge or both" },
    ]);
  });

  it("names nested order fields", () => {
    expect(
      issuesOf({ target: { type: "order", orderId: "o1", charge: { chargeUuid: CHARGE, walletUuid: "w" } } }),
    ).toEqual([{ field: "target.charge.walletUuid", message: "must be a UUID (8-4-4-4-12 hex digits)" }]);
  });

  it("bounds ids and refuses ones that would change an upstream path", () => {
    expect(issuesOf({ target: { type: "intent", id: "" } })).toEqual([
      { field: "target.id", message: "must not be empty" },
    ]);
    expect(issuesOf({ target: { type: "intent", id: "i".repeat(129) } })).toEqual([
      { field: "target.id", message: "must be at most 128 characters" },
    ]);
    // Intent ids become Procure-Core URL segments: the Procure-Core client's own rule.
    for (const id of ["../admin", "a/b", "a?b", "a%2Fb", "..", " i1", "a.b", "a:b", "-a"]) {
      expect(issuesOf({ target: { type: "intent", id } })).toEqual([
        {
          field: "target.id",
          message: "must hold only letters, digits, _ and - and start with a letter or digit",
        },
      ]);
    }
  });

  it("bounds reason, idempotencyKey and requestedBy", () => {
    expect(
      issuesOf({
        target: { type: "intent", id: "i1" },
        reason: "r".repeat(501),
        idempotencyKey: "k".repeat(129),
        requestedBy: "line\nbreak",
      }),
    ).toEqual([
      { field: "reason", message: "must be at most 500 characters" },
      { field: "idempotencyKey", message: "must be at most 128 characters" },
      { field: "requestedBy", message: CONTROL_MESSAGE },
    ]);
  });

  it.each([
    ["ESC", "\u001b[2J"],
    ["BEL", "\u0007"],
    ["NUL", "\u0000"],
    ["CR", "\r"],
    ["LF", "\n"],
    ["TAB", "\t"],
    ["DEL", "\u007f"],
    ["C1 NEL", "\u0085"],
    ["C1 CSI", "\u009b"],
    ["U+2028", "\u2028"],
    ["U+2029", "\u2029"],
    ["a lone surrogate", "\ud800"],
  ])("refuses a reason, an idempotencyKey and a requestedBy holding %s", (_name, bad) => {
    expect(
      issuesOf({
        target: { type: "intent", id: "i1" },
        reason: `before ${bad} after`,
        idempotencyKey: `k${bad}`,
        requestedBy: `svc${bad}`,
      }),
    ).toEqual([
      { field: "reason", message: CONTROL_MESSAGE },
      { field: "idempotencyKey", message: CONTROL_MESSAGE },
      { field: "requestedBy", message: CONTROL_MESSAGE },
    ]);
  });

  it("accepts any other Unicode text in a reason, up to the cap", () => {
    const reason = `Ünïcode, emoji 😀, 中文, "quotes" and spaces ${"é".repeat(450)}`;
    expect(parseCancelRequested({ target: { type: "intent", id: "i1" }, reason })).toMatchObject({
      ok: true,
      value: { reason },
    });
  });

  it("names wrong types without echoing the input", () => {
    const issues = issuesOf({ target: { type: "intent", id: 12345 }, reason: { text: "private" } });
    expect(issues).toEqual([
      { field: "target.id", message: "must be string" },
      { field: "reason", message: "must be string" },
    ]);
  });

  it("refuses a detail that is not an object", () => {
    expect(issuesOf("cancel please")).toEqual([{ field: "", message: "must be an object" }]);
    expect(issuesOf(null)).toEqual([{ field: "", message: "must be an object" }]);
  });
});
