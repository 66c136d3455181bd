/**
 * A key whose release opened its request's cancellation remembers it, on DynamoDB Local,
 * for every later attempt of the request (issue 17, defect 2): a resumed attempt closes
 * that cancellation, and announces nothing more once it was finished and replaced.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Cancellation } from "#core/cancellation.ts";
import type { BeginResult, Lease } from "#core/ports.ts";
import { useDynamoStores } from "./dynamo-stores.ts";
import { auditRecord, iso, T0, uniqueScopeKey } from "./fixtures.ts";

const stores = useDynamoStores("own-cancellation");

const LOCK_MS = 10_000;

const acquired = (result: BeginResult): Lease => {
  if (result.kind !== "acquired") throw new Error(`expected acquired, got ${JSON.stringify(result)}`);
  return result.lease;
};

describe("a key whose release opened its request's cancellation", () => {
  it("remembers that cancellation for every later attempt, even one that never completed", async () => {
    // Prepare: the first attempt is stopped by an outage and opens the charge's cancellation.
    const scopeKey = uniqueScopeKey("own-cancellation");
    const chargeUuid = randomUUID();
    const opened: Cancellation = {
      kind: "charge",
      id: chargeUuid,
      state: "REQUESTED",
      version: 1,
      incarnation: randomUUID(),
      request: {
        charge: { chargeUuid, walletUuid: "f47ac10b-58cc-4372-a567-0e02b2c3d479" },
        trigger: "bus",
        actor: "storefront.orders",
        correlationId: "corr-1",
        scopeKey,
        requestedAt: iso(T0),
      },
      steps: {},
      nextCheckAt: T0 + 60_000,
      checks: 0,
      updatedAt: iso(T0),
    };
    const begin = (now: number) =>
      stores.keys.begin({ scopeKey, payload: {}, now, lockUntil: now + LOCK_MS });
    const first = acquired(await begin(T0));
    await stores.work.releaseAttempt(first, {
      audits: [
        auditRecord({
          target: { type: "charge", id: chargeUuid, walletUuid: opened.request.charge?.walletUuid ?? "" },
        }),
      ],
      cancellation: { next: opened, expectedVersion: null },
      now: T0 + 1,
    });

    // Act: a retry that is killed (never completes), then another one after its lock.
    const second = acquired(await begin(T0 + 1_000));
    const third = acquired(await begin(T0 + 1_000 + LOCK_MS));

    // Assess
    expect(second).toMatchObject({ resumed: true, attempt: 2, ownCancellation: opened.incarnation });
    expect(third).toMatchObject({ resumed: true, attempt: 3, ownCancellation: opened.incarnation });
  });
});
