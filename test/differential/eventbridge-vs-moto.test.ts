/**
 * The local bus's EventBridge endpoint (local/stack/put-events-endpoint.ts, put-events-request.ts, local-event-bus.ts)
 * against moto_server: PutEvents as the outbox relay sends it (functions/adapters/events/),
 * its per-entry failures and whole-call refusals, and what the deployed rule (Cancel Requested
 * → the bus work queue, the event as the body) delivers. Answers compared by shape; where
 * AWS's documentation and moto part, the local side is held to the documentation (each case
 * says which, and docs/decisions/0006-local-emulator.md lists them).
 *
 * The local bus refuses an oversize call and an entry for a bus that does not exist, as
 * EventBridge does (local/stack/put-events-endpoint.ts); moto differs on both (see each case).
 */
import { PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CANCEL_REQUESTED_DETAIL_TYPE } from "#adapters/events/cancel-requested-schema.ts";
import { LOCAL_EVENT_BUS_NAME } from "#local/stack/service-env.ts";
import {
  type Compared,
  type Settled,
  settle,
  shapeOf,
  without,
  withoutKeys,
} from "./support/answer-shape.ts";
import { announceSkip, SKIP_REASON, useMotoServer } from "./support/moto-suite.ts";
import { type BusSide, localBusSide, motoBusSide } from "./support/sides.ts";

const SUITE = "local EventBridge vs moto_server";
announceSkip(SUITE);

const entry = (overrides: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
  Source: "storefront.orders",
  DetailType: CANCEL_REQUESTED_DETAIL_TYPE,
  Detail: JSON.stringify({ target: { type: "intent", id: "intent_67890" } }),
  EventBusName: LOCAL_EVENT_BUS_NAME,
  ...overrides,
});

const resourcesOf = (event: unknown): number => (event as { resources?: unknown[] }).resources?.length ?? 0;

const validation = { error: { name: "ValidationException", code: undefined, fault: "client", status: 400 } };

describe.skipIf(SKIP_REASON !== undefined)(SUITE, () => {
  const moto = useMotoServer();
  let sides: BusSide[] = [];
  beforeEach(async () => {
    sides.push(await localBusSide());
    sides.push(await motoBusSide(moto().endpoint));
  });
  afterEach(async () => {
    await Promise.all(sides.map((side) => side.close()));
    sides = [];
  });

  const side = (name: BusSide["name"]) => sides.find((one) => one.name === name) as BusSide;
  const put = (on: BusSide, entries: PutEventsRequestEntry[]): Promise<Settled> =>
    settle(() => on.events.send(new PutEventsCommand({ Entries: entries })));
  const both = async (calls: (on: BusSide) => Promise<unknown>): Promise<Compared> => ({
    local: shapeOf(await calls(side("local"))),
    moto: shapeOf(await calls(side("moto"))),
  });

  it("accepts entries as the relay sends them; the rule delivers Cancel Requested, in EventBridge's envelope", async () => {
    const { local, moto } = await both(async (on) => ({
      put: await put(on, [
        entry({
          Time: new Date("2026-02-25T11:30:00.000Z"),
          Resources: ["arn:aws:events:us-east-1:000000000000:x"],
        }),
        entry({ DetailType: "Cancellation Succeeded", Source: "cancellation-service", Detail: "{}" }),
        entry(),
      ]),
      // The one with resources first (SQS keeps no order).
      delivered: (await on.delivered()).sort((a, b) => resourcesOf(b) - resourcesOf(a)),
    }));
    // AWS's envelope has `account`; moto's does not.
    expect(without(local, "delivered.0.account", "delivered.1.account")).toEqual(moto);
    expect(local).toMatchObject({
      put: { answer: { FailedEntryCount: 0 } },
      delivered: [{ account: "<account>", time: "<iso-time>" }, { account: "<account>" }],
    });
  });

  it("fails single entries and sends the others: missing Source, DetailType or Detail, Detail not JSON", async () => {
    const { local, moto } = await both((on) =>
      put(on, [
        entry({ Source: undefined }),
        entry(),
        entry({ DetailType: undefined }),
        entry({ Detail: undefined }),
        entry({ Detail: "{not json" }),
      ]),
    );
    expect(withoutKeys(local, "ErrorMessage")).toEqual(withoutKeys(moto, "ErrorMessage"));
    expect(local).toHaveProperty("answer.FailedEntryCount", 4);
    expect(local).toHaveProperty("answer.Entries.4.ErrorCode", "MalformedDetail");
  });

  it("refuses a call of more than 10 entries whole: ValidationException", async () => {
    const { local, moto } = await both((on) =>
      put(
        on,
        Array.from({ length: 11 }, () => entry()),
      ),
    );
    expect(local).toEqual(moto);
    expect(local).toEqual(validation);
  });

  it("refuses a call of no entries (AWS: at least 1; moto takes it)", async () => {
    expect(shapeOf(await put(side("local"), []))).toEqual(validation);
  });

  it("refuses a Detail that is JSON but not an object (AWS: 'A valid JSON object'; moto takes it)", async () => {
    const answer = shapeOf(await put(side("local"), [entry({ Detail: "[1, 2]" })]));
    expect(answer).toHaveProperty("answer.Entries.0.ErrorCode", "MalformedDetail");
  });

  // AWS refuses a call whose entries exceed its size limit with a ValidationException (the local
  // bus holds the documented 256 KB rule, the stricter side of AWS's 1 MiB since January 2026);
  // moto does not check sizes at all.
  it("refuses a call whose entries are over EventBridge's size limit, whole", async () => {
    const detail = JSON.stringify({ reason: "x".repeat(1_100_000) });
    expect(shapeOf(await put(side("local"), [entry({ Detail: detail })]))).toEqual(validation);
  });

  // moto refuses the whole call (ResourceNotFoundException); EventBridge takes such an entry and
  // drops it, and the service's role (events:PutEvents on its own bus only) gets it refused. The
  // local bus refuses it and delivers nothing.
  it("refuses an entry for a bus that does not exist, and delivers nothing", async () => {
    const { local, moto } = await both(async (on) => ({
      put: await put(on, [entry({ EventBusName: "no-such-bus" })]),
      delivered: await on.delivered(),
    }));
    expect(moto).toMatchObject({ put: { error: { name: "ResourceNotFoundException" } }, delivered: [] });
    const refused = local as {
      put: Settled & { answer?: { FailedEntryCount?: number } };
      delivered: unknown[];
    };
    expect("error" in refused.put || refused.put.answer?.FailedEntryCount === 1).toBe(true);
    expect(refused.delivered).toEqual([]);
  });
});
