import { describe, expect, it } from "vitest";
import { InvalidLinesError, MAX_BULK_ITEMS, planManifest, type SubmittedLine } from "#core/bulk-manifest.ts";
import { ValidationError } from "#core/errors.ts";
import { intents, lines } from "#test/support/bulk-world.ts";

const WALLET = "f47ac10b-58cc-4372-a567-0e02b2c3d479";
const CHARGE = "0b7c1a3e-2f4d-4e5a-9b6c-7d8e9f0a1b2c";

describe("planManifest", () => {
  it("runs each target once: a repeated line is a duplicate of the first, reported with its line", () => {
    const plan = planManifest(
      lines(
        ...intents("a", "b", "a"),
        { type: "charge", chargeUuid: CHARGE.toUpperCase(), walletUuid: WALLET },
        { type: "charge", chargeUuid: CHARGE, walletUuid: WALLET },
      ),
      { skipInvalid: false, unit: "line" },
    );

    expect(plan.entries.map((e) => [e.line, e.kind])).toEqual([
      [1, "run"],
      [2, "run"],
      [3, "duplicate"],
      [4, "run"],
      [5, "duplicate"],
    ]);
    expect(plan.entries[2]).toMatchObject({ kind: "duplicate", of: 1 });
    expect(plan.entries[4]).toMatchObject({ kind: "duplicate", of: 4 });
    expect(plan).toMatchObject({ runnable: 3, duplicates: 2, rejected: 0 });
    expect(plan.upstreamCalls).toEqual({ "procure-core": 2, a55: 1 });
  });

  it("refuses the same order with other details (an order is cancelled once), naming both lines", () => {
    const submitted = lines(
      { type: "order", orderId: "o-1", intentId: "i-1" },
      { type: "order", orderId: "o-1", intentId: "i-2" },
    );

    const error = catchError(() => planManifest(submitted, { skipInvalid: false, unit: "line" }));

    expect(error).toBeInstanceOf(InvalidLinesError);
    expect((error as InvalidLinesError).issues).toEqual([
      {
        line: 2,
        field: "orderId",
        why: "names the order of line 1 with other details; an order is cancelled once",
      },
    ]);
  });

  it("invalid lines fail the whole submission, each named, unless skipped: then REJECTED entries", () => {
    const submitted: SubmittedLine[] = [
      { line: 2, target: { type: "intent", id: "a" } },
      { line: 3, problem: { field: "chargeUuid", why: "must be a UUID" }, text: "charge,nope" },
      { line: 4, problem: { field: "type", why: "must be intent, charge or order" } },
    ];

    const error = catchError(() => planManifest(submitted, { skipInvalid: false, unit: "line" }));
    expect(error).toBeInstanceOf(InvalidLinesError);
    expect((error as InvalidLinesError).issues).toEqual([
      { line: 3, field: "chargeUuid", why: "must be a UUID" },
      { line: 4, field: "type", why: "must be intent, charge or order" },
    ]);
    expect((error as InvalidLinesError).field).toBe("chargeUuid");
    expect((error as Error).message).toContain("line 3, chargeUuid must be a UUID");

    const plan = planManifest(submitted, { skipInvalid: true, unit: "line" });
    expect(plan.entries).toEqual([
      { line: 2, kind: "run", target: { type: "intent", id: "a" } },
      { line: 3, kind: "rejected", field: "chargeUuid", why: "must be a UUID", text: "charge,nope" },
      { line: 4, kind: "rejected", field: "type", why: "must be intent, charge or order" },
    ]);
    expect(plan).toMatchObject({ runnable: 1, rejected: 2 });
  });

  it("refuses an empty list, more than 10,000 items, and a submission with nothing to run", () => {
    expect(catchError(() => planManifest([], { skipInvalid: false, unit: "item" }))).toMatchObject({
      field: "items",
      message: "must hold at least one item",
    });
    const tooMany = lines(...intents(...Array.from({ length: MAX_BULK_ITEMS + 1 }, (_, i) => `i${i}`)));
    const over = catchError(() => planManifest(tooMany, { skipInvalid: true, unit: "item" }));
    expect(over).toBeInstanceOf(ValidationError);
    expect(over).toMatchObject({
      field: "items",
      message: expect.stringContaining("at most 10,000 items (10,001 sent)"),
    });
    expect(planManifest(tooMany.slice(1), { skipInvalid: false, unit: "item" }).runnable).toBe(
      MAX_BULK_ITEMS,
    );

    const nothing = catchError(() =>
      planManifest([{ line: 1, problem: { field: "id", why: "is missing" } }], {
        skipInvalid: true,
        unit: "item",
      }),
    );
    expect(nothing).toBeInstanceOf(InvalidLinesError);
    expect((nothing as Error).message).toContain("holds nothing to run: 1 item is invalid");
  });
});

const catchError = (run: () => unknown): unknown => {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
};
