/**
 * A writer holding a single cancel's record at version 1 (a continuation working from an
 * index page read earlier) must not overwrite the record of a later request that replaced
 * it after DONE, also at version 1 (issue 17, defect 5).
 */
import { describe, expect, it } from "vitest";
import { cancelCharge } from "#core/cancel-charge.ts";
import type { Cancellation } from "#core/cancellation.ts";
import { runContinuation } from "#core/continuation.ts";
import type { CancelContext } from "#core/dependencies.ts";
import { UpstreamError } from "#core/errors.ts";
import type { CancellationStore } from "#core/ports.ts";
import { CONTINUATION_OPTIONS, continuationContext } from "#test/support/continuation.ts";
import { inMemoryDependencies } from "#test/support/in-memory-ports.ts";

const WALLET = "f47ac10b-58cc-4372-a567-0e02b2c3d479";
const CHARGE = "a1b2c3d4-e5f6-7890-abcd-ef1234567890";
const INPUT = { chargeUuid: CHARGE, walletUuid: WALLET, reason: "customer asked" };

const context = (scopeKey: string, now: number): CancelContext => ({
  trigger: "bus",
  actor: "storefront.orders",
  owner: "bus:storefront.orders",
  correlationId: `corr-${scopeKey}`,
  deadline: now + 10_000,
  idempotency: { scopeKey, key: scopeKey },
});

const a55Down = () =>
  new UpstreamError({ upstream: "a55", retryable: true, message: "A55: 503", httpStatus: 503, attempts: 3 });

/** The store as a run that read `page` from the due index earlier sees it. */
const readingEarlier = (store: CancellationStore, page: Cancellation[]): CancellationStore => ({
  get: (kind, id, owner) => store.get(kind, id, owner),
  due: async () => ({ items: structuredClone(page) }),
  listOpen: (options) => store.listOpen(options),
  countOpen: () => store.countOpen(),
});

describe("a stale writer", () => {
  it("does not overwrite a single cancel's record replaced after DONE, though it is at the same version", async () => {
    // Prepare: request A's cancel meets an outage, is left open (REQUESTED, version 1) and
    // read from the due index by a continuation run that then stalls.
    const t = inMemoryDependencies();
    t.charges.add(CHARGE, WALLET, "pending");
    t.charges.failWith = a55Down();
    await cancelCharge(t.deps, context("bus:A", t.clock.now()), INPUT);
    t.clock.advance(5 * 60_000);
    const staleRead = (await t.cancellations.due(t.clock.now())).items;
    expect(staleRead).toMatchObject([{ version: 1, request: { scopeKey: "bus:A" } }]);
    // Another run finishes it; then request B meets an outage too and opens its own record.
    t.charges.failWith = undefined;
    await runContinuation(t.deps, continuationContext(t.clock.now()), CONTINUATION_OPTIONS);
    t.charges.failWith = a55Down();
    await cancelCharge(t.deps, context("bus:B", t.clock.now()), INPUT);
    t.charges.failWith = undefined;
    const replaced = await t.cancellations.get("charge", CHARGE);
    expect(replaced).toMatchObject({ state: "REQUESTED", version: 1, request: { scopeKey: "bus:B" } });

    // Act: the stalled run goes on with what it read.
    const summary = await runContinuation(
      { ...t.deps, cancellations: readingEarlier(t.cancellations, staleRead) },
      continuationContext(t.clock.now()),
      CONTINUATION_OPTIONS,
    );

    // Assess: its transition is refused; B's record stands; A's outcome was announced once.
    expect(summary).toMatchObject({ checked: 1, conflicts: 1, finished: 0 });
    expect(await t.cancellations.get("charge", CHARGE)).toStrictEqual(replaced);
    expect(t.events.events.map((e) => [e.detailType, e.detail.idempotencyKey])).toEqual([
      ["Cancellation Succeeded", "bus:A"],
    ]);
  });
});
