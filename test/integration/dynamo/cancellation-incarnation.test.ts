/**
 * A single cancel's cancellation replaced after DONE starts again at version 1; a writer
 * still holding the old record at version 1 must not overwrite the new one (issue 17,
 * defect 5). The conditional Put names the record's incarnation as well as its version.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Cancellation } from "#core/cancellation.ts";
import { useDynamoStores } from "./dynamo-stores.ts";
import { cancelledIntent, iso, T0, uniqueScopeKey } from "./fixtures.ts";

const stores = useDynamoStores("cancellation-incarnation");

const WALLET = "f47ac10b-58cc-4372-a567-0e02b2c3d479";

/** A charge cancel's cancellation, REQUESTED by the request `scopeKey`, as it is opened. */
const opened = (chargeUuid: string, scopeKey: string): Cancellation => ({
  kind: "charge",
  id: chargeUuid,
  state: "REQUESTED",
  version: 1,
  incarnation: randomUUID(),
  request: {
    charge: { chargeUuid, walletUuid: WALLET },
    trigger: "bus",
    actor: "storefront.orders",
    correlationId: `corr-${scopeKey}`,
    scopeKey,
    requestedAt: iso(T0),
  },
  steps: {},
  nextCheckAt: T0 + 60_000,
  checks: 0,
  updatedAt: iso(T0),
});

const done = (c: Cancellation): Cancellation => {
  const { nextCheckAt: _next, ...rest } = c;
  return {
    ...rest,
    state: "DONE",
    version: c.version + 1,
    outcome: { type: "CANCELLED", target: { type: "charge", id: c.id, walletUuid: WALLET } },
  };
};

/** The first request's record, finished, then replaced by a second request's at version 1. */
const replacedAfterDone = async () => {
  const chargeUuid = randomUUID();
  const first = opened(chargeUuid, uniqueScopeKey("first"));
  expect(await stores.work.commitTransition({ next: first, expectedVersion: null }, [])).toBe("written");
  expect(await stores.work.commitTransition({ next: done(first), expectedVersion: 1 }, [])).toBe("written");
  const second = opened(chargeUuid, uniqueScopeKey("second"));
  expect(await stores.work.commitTransition({ next: second, expectedVersion: null }, [])).toBe("written");
  return { chargeUuid, first, second };
};

describe("a cancellation replaced after DONE", () => {
  it("refuses a transition read from the replaced record, although the version matches", async () => {
    // Prepare: a stale writer read `first` at version 1, before it was finished and replaced.
    const { chargeUuid, first, second } = await replacedAfterDone();

    // Act
    const stale = await stores.work.commitTransition({ next: done(first), expectedVersion: 1 }, []);

    // Assess
    expect(stale).toBe("conflict");
    expect(await stores.cancellations.get("charge", chargeUuid)).toStrictEqual(second);
    // The new incarnation's own transitions go through.
    expect(await stores.work.commitTransition({ next: done(second), expectedVersion: 1 }, [])).toBe(
      "written",
    );
  });

  it("refuses it in a key's completion too: cancellation-moved, nothing written", async () => {
    const { chargeUuid, first, second } = await replacedAfterDone();
    const scopeKey = first.request.scopeKey;
    const begun = await stores.keys.begin({ scopeKey, payload: {}, now: T0, lockUntil: T0 + 30_000 });
    if (begun.kind !== "acquired") throw new Error(`expected acquired, got ${begun.kind}`);

    const completed = await stores.work.finishAttempt(begun.lease, {
      outcome: cancelledIntent("unused"),
      audits: [],
      cancellation: { next: done(first), expectedVersion: 1 },
      now: T0,
    });

    expect(completed).toBe("cancellation-moved");
    expect(await stores.cancellations.get("charge", chargeUuid)).toStrictEqual(second);
  });
});
