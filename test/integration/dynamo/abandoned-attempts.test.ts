/**
 * A single cancel's attempt is findable while it runs, on DynamoDB Local (issue 17, defect
 * 4): the `begin` put itself puts the key in the continuation's index (no extra round
 * trip), completing or releasing removes it, and the continuation takes over only that
 * attempt, once its lock is over.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { AttemptRecovery, BeginRequest, BeginResult, Lease } from "#core/ports.ts";
import { countRoundTrips } from "#test/support/round-trip-counter.ts";
import { useDynamoStores } from "./dynamo-stores.ts";
import { cancelledIntent, iso, T0, uniqueScopeKey } from "./fixtures.ts";

const stores = useDynamoStores("abandoned-attempts");

const LOCK_MS = 10_000;
const GRACE_MS = 5_000;

const recovery = (intentId: string): AttemptRecovery => ({
  cancel: { kind: "intent", intentId, reason: "expired: not processed in time" },
  requestedBy: { trigger: "schedule", actor: "expiry-sweep", correlationId: "sweep-run-1" },
  recoverAt: T0 + LOCK_MS + GRACE_MS,
});

/** The first attempt of a sweep's cancel of `intentId`. */
const firstAttempt = (scopeKey: string, intentId: string): BeginRequest => ({
  scopeKey,
  payload: { intentId, reason: "expired: not processed in time" },
  now: T0,
  lockUntil: T0 + LOCK_MS,
  recovery: recovery(intentId),
});

const acquired = (result: BeginResult): Lease => {
  if (result.kind !== "acquired") throw new Error(`expected acquired, got ${JSON.stringify(result)}`);
  return result.lease;
};

const abandonedNow = async (now: number, scopeKey: string) =>
  (await stores.keys.abandoned(now, { limit: 1000 })).items.filter((a) => a.scopeKey === scopeKey);

describe("an attempt in progress", () => {
  it("is found from its recovery time on, with what it was doing, until its key completes; begin stays one PutItem", async () => {
    // Prepare
    const scopeKey = uniqueScopeKey("found");
    const intentId = `intent-${randomUUID().slice(0, 8)}`;
    const counter = countRoundTrips(stores.client);

    // Act
    const lease = acquired(await stores.keys.begin(firstAttempt(scopeKey, intentId)));
    const roundTrips = counter.byCommand();
    counter.detach();
    const before = await abandonedNow(T0 + LOCK_MS + GRACE_MS - 1, scopeKey);
    const due = await abandonedNow(T0 + LOCK_MS + GRACE_MS, scopeKey);
    await stores.work.finishAttempt(lease, {
      outcome: cancelledIntent(intentId),
      audits: [],
      now: T0 + 1_000,
    });
    const afterCompletion = await abandonedNow(T0 + 60_000, scopeKey);

    // Assess
    expect(roundTrips).toStrictEqual({ PutItemCommand: 1 });
    expect(before).toStrictEqual([]);
    expect(due).toStrictEqual([{ scopeKey, token: lease.token, ...recovery(intentId) }]);
    expect(afterCompletion).toStrictEqual([]);
  });

  it("leaves the index when its key is released", async () => {
    const scopeKey = uniqueScopeKey("released");
    const lease = acquired(await stores.keys.begin(firstAttempt(scopeKey, "intent-released")));
    await stores.work.releaseAttempt(lease, { audits: [], now: T0 + 1_000 });
    expect(await abandonedNow(T0 + 60_000, scopeKey)).toStrictEqual([]);
  });
});

describe("taking over an abandoned attempt", () => {
  it("takes the key only from that attempt, once its lock is over: resumed, attempt 2", async () => {
    // Prepare
    const scopeKey = uniqueScopeKey("take-over");
    const intentId = `intent-${randomUUID().slice(0, 8)}`;
    const first = acquired(await stores.keys.begin(firstAttempt(scopeKey, intentId)));
    const takeOver = (now: number, token = first.token) =>
      stores.keys.begin({
        ...firstAttempt(scopeKey, intentId),
        now,
        lockUntil: now + LOCK_MS,
        recovery: { ...recovery(intentId), recoverAt: now + LOCK_MS + GRACE_MS },
        takeOver: token,
      });

    // Act
    const whileLocked = await takeOver(T0 + LOCK_MS - 1);
    const otherToken = await takeOver(T0 + LOCK_MS, randomUUID());
    const taken = acquired(await takeOver(T0 + LOCK_MS));
    const again = await takeOver(T0 + 2 * LOCK_MS + 1);
    const stillFindable = await abandonedNow(T0 + 2 * LOCK_MS + GRACE_MS, scopeKey);
    await stores.work.finishAttempt(taken, {
      outcome: cancelledIntent(intentId),
      audits: [],
      now: T0 + LOCK_MS + 1,
    });
    const afterCompletion = await takeOver(T0 + 3 * LOCK_MS);

    // Assess
    expect(whileLocked).toStrictEqual({ kind: "in-progress", retryAfterSeconds: 1 });
    expect(otherToken).toStrictEqual({ kind: "in-progress", retryAfterSeconds: 1 });
    expect(taken).toMatchObject({ scopeKey, attempt: 2, resumed: true });
    // The first attempt's token no longer holds the key: a second take over is refused.
    expect(again).toStrictEqual({ kind: "in-progress", retryAfterSeconds: 1 });
    // Taken over, the attempt is findable again (the continuation may die too), at its new time.
    expect(stillFindable).toStrictEqual([
      { scopeKey, token: taken.token, ...recovery(intentId), recoverAt: T0 + 2 * LOCK_MS + GRACE_MS },
    ]);
    expect(afterCompletion).toStrictEqual({
      kind: "replay",
      outcome: cancelledIntent(intentId),
      completedAt: iso(T0 + LOCK_MS + 1),
    });
  });

  it("leaves a released key alone (its cancellation is the continuation's way to finish it)", async () => {
    const scopeKey = uniqueScopeKey("take-over-released");
    const first = acquired(await stores.keys.begin(firstAttempt(scopeKey, "intent-x")));
    await stores.work.releaseAttempt(first, { audits: [], now: T0 + 1 });
    const refused = await stores.keys.begin({
      ...firstAttempt(scopeKey, "intent-x"),
      now: T0 + LOCK_MS,
      lockUntil: T0 + 2 * LOCK_MS,
      takeOver: first.token,
    });
    expect(refused).toStrictEqual({ kind: "in-progress", retryAfterSeconds: 1 });
  });
});
