/**
 * The shared upstream budget on DynamoDB Local: the two ring items, their conditional take
 * in each of its forms, and what every container sees of them. Decisions are made on an
 * injected clock, so a minute can pass in a test; DynamoDB's own conditional writes decide
 * who gets a slot.
 */
import { randomUUID } from "node:crypto";
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { BACKGROUND_ACTIVE_MS, type RingName, slotTimesOf } from "#adapters/budget/budget-ring.ts";
import { DynamoRingStore } from "#adapters/budget/budget-ring-store.ts";
import {
  SharedUpstreamBudget,
  type SharedUpstreamBudgetOptions,
} from "#adapters/budget/shared-upstream-budget.ts";
import { storedRingOf } from "#adapters/budget/stored-ring.ts";
import { budgetKeyOf } from "#adapters/dynamo/table-definitions.ts";
import { StoreUnavailableError, UpstreamRateLimitedError } from "#core/errors.ts";
import type { UpstreamPriority } from "#core/ports.ts";
import { RequestRateMeter } from "#local/sandboxes/rate-limiter.ts";
import { createLocalDynamoClient, createTestTables, type TestTables } from "#test/support/dynamo-tables.ts";
import { countRoundTrips } from "#test/support/round-trip-counter.ts";

const T0 = 1_772_019_000_000;
const MARGIN_MS = 1_000;
const WINDOW_MS = 60_000 + MARGIN_MS;

let client: DynamoDBClient;
let tables: TestTables;

beforeAll(async () => {
  client = createLocalDynamoClient(inject("dynamoEndpoint"));
  tables = await createTestTables(client, "upstream-budget");
});
afterAll(async () => {
  await tables?.drop();
  client?.destroy();
});

/** A clock the test moves; `sleep` moves it too and records how long was asked. */
const manualClock = (start = T0) => {
  const clock = {
    now: start,
    sleeps: [] as number[],
    sleep: async (ms: number) => {
      clock.sleeps.push(ms);
      clock.now += ms;
    },
  };
  return clock;
};

/** One container's budget on the test table. */
const containerBudget = (
  clock: { now: number; sleep: (ms: number) => Promise<void> },
  options: Partial<SharedUpstreamBudgetOptions> = {},
  dynamo: DynamoDBClient = client,
) =>
  new SharedUpstreamBudget({
    store: new DynamoRingStore({ client: dynamo, table: tables.idempotencyTable }),
    perMinute: { a55: 4, "procure-core": 10 },
    backgroundShare: 0.5,
    marginMs: MARGIN_MS,
    now: () => clock.now,
    sleep: (ms) => clock.sleep(ms),
    random: () => 0,
    ...options,
  });

const refusal = async (attempt: Promise<unknown>): Promise<UpstreamRateLimitedError> => {
  const error = await attempt.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof UpstreamRateLimitedError))
    throw new Error(`expected a refusal, got ${String(error)}`);
  return error;
};

const storedItem = async (client_: string, ring: RingName, upstream = "a55") => {
  const { pk, sk } = budgetKeyOf(upstream, client_, ring);
  const { Item } = await client.send(
    new GetItemCommand({
      TableName: tables.idempotencyTable,
      Key: { pk: { S: pk }, sk: { S: sk } },
      ConsistentRead: true,
    }),
  );
  return Item;
};

/** A ring's slot times as stored, oldest first (a slot reads as its bucket's time); `undefined` when absent. */
const storedSlots = async (client_: string, ring: RingName, upstream = "a55") => {
  const stored = storedRingOf(await storedItem(client_, ring, upstream));
  return stored.kind === "present" && stored.ring ? slotTimesOf(stored.ring) : undefined;
};

/** Both rings' slot times, in time order. */
const allSlots = async (client_: string) =>
  [
    ...((await storedSlots(client_, "background")) ?? []),
    ...((await storedSlots(client_, "interactive")) ?? []),
  ].sort((a, b) => a - b);

const uniqueClient = () => `client-${randomUUID().slice(0, 8)}`;

describe("SharedUpstreamBudget on DynamoDB", () => {
  it("a take is one UpdateItem; interactive work's ring holds its last N − B send times, oldest first", async () => {
    // Prepare: the ring exists (its first take created it).
    const clock = manualClock();
    const budget = containerBudget(clock);
    const who = uniqueClient();
    await budget.take({ upstream: "a55", client: who, priority: "interactive", deadline: T0 + 10_000 });
    const trips = countRoundTrips(client);

    // Act
    clock.now = T0 + 5;
    await budget.take({ upstream: "a55", client: who, priority: "interactive", deadline: T0 + 10_000 });

    // Assess
    expect(trips.byCommand()).toEqual({ UpdateItemCommand: 1 });
    trips.detach();
    expect(await storedSlots(who, "interactive")).toEqual([T0, T0 + 5]);
    expect(await storedItem(who, "background")).toBeUndefined();
  });

  it("a missing item is created empty on first use", async () => {
    // Prepare
    const clock = manualClock();
    const who = uniqueClient();
    expect(await storedSlots(who, "background")).toBeUndefined();

    // Act
    await containerBudget(clock).take({ upstream: "a55", client: who, deadline: T0 + 10_000 });

    // Assess
    expect(await storedSlots(who, "background")).toEqual([0, T0]);
  });

  it("interactive work gets all N slots in a window, the (N+1)th is refused at once with the exact wait, and the slot frees one window after the oldest", async () => {
    // Prepare: four requests, 10 s apart, from two containers.
    const clock = manualClock();
    const [one, two] = [containerBudget(clock), containerBudget(clock)];
    const who = uniqueClient();
    for (const [i, budget] of [one, two, one, two].entries()) {
      clock.now = T0 + i * 10_000;
      await budget?.take({
        upstream: "a55",
        client: who,
        priority: "interactive",
        deadline: clock.now + 10_000,
      });
    }

    // Act
    clock.now = T0 + 45_000;
    const refused = await refusal(
      (one as SharedUpstreamBudget).take({
        upstream: "a55",
        client: who,
        priority: "interactive",
        deadline: clock.now + 10_000,
      }),
    );
    clock.now = T0 + WINDOW_MS - 1;
    const stillRefused = await refusal(
      (two as SharedUpstreamBudget).take({
        upstream: "a55",
        client: who,
        priority: "interactive",
        deadline: clock.now + 10_000,
      }),
    );
    clock.now = T0 + WINDOW_MS;
    await (two as SharedUpstreamBudget).take({
      upstream: "a55",
      client: who,
      priority: "interactive",
      deadline: clock.now + 10_000,
    });

    // Assess
    expect(refused).toMatchObject({
      source: "budget",
      upstream: "a55",
      retryAfterSeconds: (WINDOW_MS - 45_000) / 1000,
    });
    expect(stillRefused.retryAfterSeconds).toBe(0.001);
    expect(clock.sleeps).toEqual([]);
    expect(await allSlots(who)).toEqual([T0 + 10_000, T0 + 20_000, T0 + 30_000, T0 + WINDOW_MS]);
    // The first two on interactive work's own ring, the next two borrowed from background work's.
    expect(await storedSlots(who, "background")).toEqual([T0 + 20_000, T0 + 30_000]);
  });

  it("background work may fill only its share; interactive work still has the rest", async () => {
    // Prepare: limit 4, share 0.5 → background may have 2 in a window.
    const clock = manualClock();
    const budget = containerBudget(clock);
    const who = uniqueClient();
    const take = (priority: UpstreamPriority, deadline = clock.now + 10_000) =>
      budget.take({ upstream: "a55", client: who, priority, deadline });
    await take("background");
    clock.now += 1_000;
    await take("background");

    // Act
    clock.now += 1_000;
    const background = await refusal(take("background"));
    await take("interactive");
    await take("interactive");
    const interactive = await refusal(take("interactive"));

    // Assess: background waits for the older of its two requests to age out, interactive for the oldest of all four.
    expect(background.retryAfterSeconds).toBe((T0 + WINDOW_MS - (T0 + 2_000)) / 1000);
    expect(interactive.retryAfterSeconds).toBe((T0 + WINDOW_MS - (T0 + 2_000)) / 1000);
    expect(clock.sleeps).toEqual([]);
  });

  it("while background work wants slots, interactive work keeps to its own N − B; once it stops, to all of them", async () => {
    // Prepare: limit 4, share 0.5 → 2 background, 2 interactive of their own.
    const clock = manualClock();
    const budget = containerBudget(clock);
    const who = uniqueClient();
    const take = (priority: UpstreamPriority, deadline = clock.now + 10_000) =>
      budget.take({ upstream: "a55", client: who, priority, deadline });
    await take("background");
    clock.now = T0 + 1_000;
    await take("interactive");
    await take("interactive");

    // Act: a slot is free, but background work took one 2 s ago.
    clock.now = T0 + 2_000;
    const reserved = await refusal(take("interactive"));
    clock.now = T0 + BACKGROUND_ACTIVE_MS + 1;
    await take("interactive");

    // Assess: refused until background work stopped wanting slots; then the free slot is the storefront's.
    expect(reserved.retryAfterSeconds).toBe((BACKGROUND_ACTIVE_MS + 1 - 2_000) / 1000);
    expect(await storedSlots(who, "interactive")).toEqual([T0 + 1_000, T0 + 1_000]);
    expect(await storedSlots(who, "background")).toEqual([T0, T0 + BACKGROUND_ACTIVE_MS + 1]);
  });

  it("with a background share of 1 nothing is reserved: people take a free slot right after background work took one", async () => {
    // Prepare: limit 4, share 1 → background may use all 4, people have none of their own.
    const clock = manualClock();
    const budget = containerBudget(clock, { backgroundShare: 1 });
    const who = uniqueClient();
    await budget.take({ upstream: "a55", client: who, priority: "background", deadline: T0 + 5_000 });

    // Act
    clock.now = T0 + 1_000;
    await budget.take({ upstream: "a55", client: who, priority: "interactive", deadline: clock.now + 5_000 });

    // Assess: one ring of 4, first come first served.
    expect(await storedSlots(who, "background")).toEqual([0, 0, T0, T0 + 1_000]);
    expect(await storedItem(who, "interactive")).toBeUndefined();
  });

  it("background work that waits because people hold every slot says so, and gets the next slots that free", async () => {
    // Prepare: people took all 4 slots while nothing else wanted any.
    const clock = manualClock();
    const budget = containerBudget(clock);
    const who = uniqueClient();
    for (let i = 0; i < 4; i++)
      await budget.take({ upstream: "a55", client: who, priority: "interactive", deadline: T0 + 5_000 });

    // Act: background work waits for the first slot to free; then people ask again.
    clock.now = T0 + 1_000;
    await budget.take({ upstream: "a55", client: who, priority: "background", deadline: T0 + 130_000 });
    clock.now = T0 + WINDOW_MS + 500;
    await budget.take({ upstream: "a55", client: who, priority: "interactive", deadline: clock.now + 5_000 });
    await budget.take({ upstream: "a55", client: who, priority: "interactive", deadline: clock.now + 5_000 });
    const third = await refusal(
      budget.take({ upstream: "a55", client: who, priority: "interactive", deadline: clock.now + 5_000 }),
    );

    // Assess: the wait was marked (one more round trip), the freed slot went to background work,
    // and people got their own two of the slots that freed with it, not the third.
    expect(clock.sleeps).toEqual([WINDOW_MS - 1_000]);
    const item = await storedItem(who, "background");
    expect(Number(item?.backgroundWaitsUntil?.N)).toBeGreaterThan(T0 + WINDOW_MS);
    expect(Number(item?.backgroundTookAt?.N)).toBe(T0 + WINDOW_MS);
    expect(third.retryAfterSeconds).toBeGreaterThan(0);
    // Nothing taken on it within the window before: written anew with the one take.
    expect(await storedSlots(who, "background")).toEqual([0, T0 + WINDOW_MS]);
    expect(await storedSlots(who, "interactive")).toEqual([T0 + WINDOW_MS + 500, T0 + WINDOW_MS + 500]);
  });

  it("background work waits for a slot when one frees before its deadline, and takes it then", async () => {
    // Prepare: the background share (2 of 4) is used.
    const clock = manualClock();
    const budget = containerBudget(clock);
    const who = uniqueClient();
    await budget.take({ upstream: "a55", client: who, deadline: T0 + 5_000 });
    clock.now = T0 + 3_000;
    await budget.take({ upstream: "a55", client: who, deadline: T0 + 8_000 });

    // Act: a deadline 2 minutes away; the first slot frees at T0 + window.
    clock.now = T0 + 10_000;
    await budget.take({ upstream: "a55", client: who, deadline: T0 + 130_000 });

    // Assess
    expect(clock.sleeps).toEqual([T0 + WINDOW_MS - (T0 + 10_000)]);
    expect(clock.now).toBe(T0 + WINDOW_MS);
    expect(budget.stats).toMatchObject({ taken: 3, refused: 0, waitedMs: WINDOW_MS - 10_000 });
    expect(await storedSlots(who, "background")).toEqual([T0 + 3_000, T0 + WINDOW_MS]);
  });

  it("background work does not wait past its deadline: refused at once when the slot frees too late", async () => {
    // Prepare
    const clock = manualClock();
    const budget = containerBudget(clock);
    const who = uniqueClient();
    await budget.take({ upstream: "a55", client: who, deadline: T0 + 5_000 });
    await budget.take({ upstream: "a55", client: who, deadline: T0 + 5_000 });

    // Act: 30 s left; the slot frees in 61 s.
    clock.now = T0 + 1_000;
    const refused = await refusal(budget.take({ upstream: "a55", client: who, deadline: T0 + 31_000 }));

    // Assess
    expect(refused).toMatchObject({ source: "budget", retryAfterSeconds: (WINDOW_MS - 1_000) / 1000 });
    expect(clock.sleeps).toEqual([]);
  });

  it("concurrent takers from many containers get exactly N slots in a window, whatever the interleaving", async () => {
    // Prepare: 12 containers, each with its own DynamoDB client, 4 takes each, all at once.
    const clock = manualClock();
    const who = uniqueClient();
    const clients = Array.from({ length: 12 }, () => createLocalDynamoClient(inject("dynamoEndpoint")));
    const budgets = clients.map((dynamo) =>
      containerBudget(clock, { perMinute: { a55: 10, "procure-core": 10 }, backgroundShare: 1 }, dynamo),
    );

    // Act
    const results = await Promise.all(
      budgets.flatMap((budget) =>
        Array.from({ length: 4 }, () =>
          budget
            .take({ upstream: "a55", client: who, priority: "interactive", deadline: T0 + 10_000 })
            .then(() => "taken" as const)
            .catch((error: unknown) => {
              if (error instanceof UpstreamRateLimitedError) return "refused" as const;
              throw error;
            }),
        ),
      ),
    );
    for (const dynamo of clients) dynamo.destroy();

    // Assess
    expect(results.filter((result) => result === "taken")).toHaveLength(10);
    expect(results.filter((result) => result === "refused")).toHaveLength(38);
    expect(await storedSlots(who, "background")).toEqual(Array.from({ length: 10 }, () => T0));
  });

  it("with buckets of several slots (every take form: within a bucket, dropping the head, sealing the tail), concurrent takers get exactly N in each window", async () => {
    // Prepare: a ring of 10 slots kept in at most 3 bucket times (buckets of 4: the head holds 2).
    const clock = manualClock();
    const who = uniqueClient();
    const clients = Array.from({ length: 6 }, () => createLocalDynamoClient(inject("dynamoEndpoint")));
    const budgets = clients.map((dynamo) =>
      containerBudget(
        clock,
        { perMinute: { a55: 10, "procure-core": 10 }, backgroundShare: 1, maxBuckets: 3 },
        dynamo,
      ),
    );
    const takeAll = async () =>
      (
        await Promise.all(
          budgets.flatMap((budget) =>
            Array.from({ length: 3 }, () =>
              budget
                .take({ upstream: "a55", client: who, priority: "interactive", deadline: clock.now + 10_000 })
                .then(() => "taken" as const)
                .catch((error: unknown) => {
                  if (error instanceof UpstreamRateLimitedError) return error.retryAfterSeconds;
                  throw error;
                }),
            ),
          ),
        )
      ).sort();

    // Act: 18 ask at T0, a window later, and two windows later.
    const rounds = [];
    for (const at of [T0, T0 + WINDOW_MS, T0 + 2 * WINDOW_MS]) {
      clock.now = at;
      rounds.push({ results: await takeAll(), item: await storedItem(who, "background") });
    }
    for (const dynamo of clients) dynamo.destroy();

    // Assess: 10 in each window (once the whole ring is a window old, it is written anew:
    // the open bucket's first slots do not read as the next window's time), each refusal the exact wait.
    const refusals = (count: number) => Array.from({ length: count }, () => WINDOW_MS / 1000);
    const taken = (count: number) => Array.from({ length: count }, () => "taken");
    expect(rounds.map((round) => round.results)).toEqual([
      [...refusals(8), ...taken(10)],
      [...refusals(8), ...taken(10)],
      [...refusals(8), ...taken(10)],
    ]);
    // After the first window: every slot reads T0, in at most 3 bucket times (where the counts
    // stand depends on which take crossed which edge first).
    const first = storedRingOf(rounds[0]?.item);
    expect(first.kind === "present" && first.ring ? slotTimesOf(first.ring) : []).toEqual(
      Array.from({ length: 10 }, () => T0),
    );
    expect(rounds[0]?.item?.bucketTimes?.L?.length).toBeLessThanOrEqual(3);
    expect(await storedSlots(who, "background")).toEqual(
      Array.from({ length: 10 }, () => T0 + 2 * WINDOW_MS),
    );
  });

  it("a step past the head bucket's edge (its repair not landed yet) reuses a slot of the next bucket: refused while that one is within the window", async () => {
    // Prepare: 8 slots in buckets of 4; the head bucket spent (headLeft 0), the next one's newest 1 s old.
    const store = new DynamoRingStore({ client, table: tables.idempotencyTable });
    const size = { slots: 8, bucket: 4 };
    const ring = (next: number) => ({
      ...size,
      bucketTimes: [T0 - WINDOW_MS - 5_000, next],
      headLeft: 0,
      tailCount: 4,
      newest: T0 - 1_000,
    });
    const take = {
      t: T0,
      priority: "interactive" as const,
      cutoff: T0 - WINDOW_MS,
      size,
      form: { kind: "step" as const },
      borrowing: false,
      backgroundActiveSince: T0 - BACKGROUND_ACTIVE_MS,
      expiresAt: T0 / 1000 + 60,
    };
    const [recent, old] = [uniqueClient(), uniqueClient()];
    await store.replace(
      { upstream: "a55", client: recent, ring: "interactive" },
      ring(T0 - 1_000),
      { kind: "absent" },
      take.expiresAt,
    );
    await store.replace(
      { upstream: "a55", client: old, ring: "interactive" },
      ring(T0 - WINDOW_MS),
      { kind: "absent" },
      take.expiresAt,
    );

    // Act
    const refused = await store.take({ upstream: "a55", client: recent, ring: "interactive" }, take);
    const taken = await store.take({ upstream: "a55", client: old, ring: "interactive" }, take);
    const repaired = taken.taken
      ? await store.repair({ upstream: "a55", client: old, ring: "interactive" }, size, {
          drops: 1,
          seals: true,
          sealedCount: 2,
        })
      : undefined;

    // Assess
    expect(refused.taken).toBe(false);
    expect(taken).toEqual({ taken: true, counts: { headLeft: -1, tailCount: 5 } });
    expect(repaired).toEqual({ repaired: true });
    expect(storedRingOf(await storedItem(old, "interactive"))).toMatchObject({
      ring: { bucketTimes: [T0 - WINDOW_MS, T0], headLeft: 3, tailCount: 1, newest: T0 },
    });
  });

  it("a damaged item is replaced by a full ring (refusing for one window, never over the limit), not a crash", async () => {
    // Prepare: garbage where the ring should be.
    const clock = manualClock();
    const who = uniqueClient();
    for (const ring of ["background", "interactive"] as const) {
      const { pk, sk } = budgetKeyOf("a55", who, ring);
      await client.send(
        new PutItemCommand({
          TableName: tables.idempotencyTable,
          Item: { pk: { S: pk }, sk: { S: sk }, bucketTimes: { S: "not a ring" } },
        }),
      );
    }
    const recreated: string[] = [];
    const budget = containerBudget(clock, { onRecreated: (event) => recreated.push(event.was) });

    // Act
    const refused = await refusal(
      budget.take({ upstream: "a55", client: who, priority: "interactive", deadline: T0 + 10_000 }),
    );
    clock.now = T0 + WINDOW_MS;
    await budget.take({
      upstream: "a55",
      client: who,
      priority: "interactive",
      deadline: clock.now + 10_000,
    });

    // Assess
    expect(recreated).toEqual(["damaged", "damaged"]);
    expect(refused.retryAfterSeconds).toBe(WINDOW_MS / 1000);
    expect(await storedSlots(who, "interactive")).toEqual([0, T0 + WINDOW_MS]);
    expect(await storedSlots(who, "background")).toEqual([T0, T0]);
  });

  it("a ring from another limit (a changed configuration) is carried over with its newest times", async () => {
    // Prepare: rings of 3 and 3 written under a limit of 6; this container's limit is 4 (2 and 2).
    const clock = manualClock(T0 + 10_000);
    const who = uniqueClient();
    const times = (seconds: number[]) => ({ L: seconds.map((i) => ({ N: String(T0 + i * 1_000) })) });
    for (const [ring, seconds] of [
      ["interactive", [1, 2, 3]],
      ["background", [4, 5, 6]],
    ] as const) {
      const { pk, sk } = budgetKeyOf("a55", who, ring);
      await client.send(
        new PutItemCommand({
          TableName: tables.idempotencyTable,
          Item: {
            pk: { S: pk },
            sk: { S: sk },
            slots: { N: "3" },
            bucket: { N: "1" },
            bucketTimes: times([...seconds]),
            headLeft: { N: "1" },
            tailCount: { N: "0" },
            newest: { N: String(T0 + (seconds.at(-1) ?? 0) * 1_000) },
          },
        }),
      );
    }
    const recreated: string[] = [];
    const budget = containerBudget(clock, { onRecreated: (event) => recreated.push(event.was) });

    // Act: the newest 2 of each are within the window, so an interactive take must wait for T0 + 2 s to age out.
    const refused = await refusal(
      budget.take({ upstream: "a55", client: who, priority: "interactive", deadline: clock.now + 10_000 }),
    );

    // Assess
    expect(recreated).toEqual(["resizable", "resizable"]);
    expect(await storedSlots(who, "interactive")).toEqual([2, 3].map((i) => T0 + i * 1_000));
    expect(await storedSlots(who, "background")).toEqual([5, 6].map((i) => T0 + i * 1_000));
    expect(refused.retryAfterSeconds).toBe((T0 + 2_000 + WINDOW_MS - clock.now) / 1000);
  });

  it("DynamoDB unavailable: the take fails closed with StoreUnavailableError, nothing may be sent", async () => {
    // Prepare: a client pointed at a closed port.
    const clock = manualClock();
    const nowhere = createLocalDynamoClient("http://127.0.0.1:9", {
      maxAttempts: 1,
      connectionTimeoutMs: 200,
    });
    const budget = containerBudget(clock, {}, nowhere);

    // Act
    const failure = await budget
      .take({ upstream: "a55", client: uniqueClient(), priority: "interactive", deadline: T0 + 10_000 })
      .catch((error: unknown) => error);
    nowhere.destroy();

    // Assess
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect(failure).toMatchObject({ store: "upstream-budget" });
  });
});

describe("SharedUpstreamBudget under load, on a clock running 15 times faster than real time", () => {
  it("containers hammering one ring never send more than the limit (nor background more than its share) in any sliding minute; interactive work keeps its part", async () => {
    // Prepare: limit 20, background share 0.5; 2 interactive and 4 background containers, 150 s of virtual time.
    const SPEED = 15;
    const realStart = Date.now();
    const now = () => T0 + (Date.now() - realStart) * SPEED;
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms) / SPEED));
    const runFor = 150_000;
    const who = uniqueClient();
    const priorities: UpstreamPriority[] = [
      "interactive",
      "interactive",
      "background",
      "background",
      "background",
      "background",
    ];
    const clients = priorities.map(() => createLocalDynamoClient(inject("dynamoEndpoint")));
    const sends: { at: number; priority: UpstreamPriority }[] = [];
    // The largest margin: DynamoDB Local's real milliseconds (on a busy machine) are 15 times longer here.
    const margin = 10_000;

    // Act
    await Promise.all(
      priorities.map(async (priority, index) => {
        const budget = new SharedUpstreamBudget({
          store: new DynamoRingStore({
            client: clients[index] as DynamoDBClient,
            table: tables.idempotencyTable,
          }),
          perMinute: { a55: 20, "procure-core": 20 },
          backgroundShare: 0.5,
          marginMs: margin,
          now,
          sleep,
        });
        while (now() < T0 + runFor) {
          try {
            await budget.take({ upstream: "a55", client: who, priority, deadline: now() + 30_000 });
            sends.push({ at: now(), priority });
            // People cancel at their own pace (2 × 5 a minute); background work drains as fast as it may.
            if (priority === "interactive") await sleep(12_000);
          } catch (error) {
            if (!(error instanceof UpstreamRateLimitedError)) throw error;
            await sleep(error.retryAfterSeconds * 1000);
          }
        }
      }),
    );
    for (const dynamo of clients) dynamo.destroy();

    // Assess: judged by arrivals as the sandboxes measure them (sliding minute).
    const peak = (times: number[]) => {
      let at = 0;
      const meter = new RequestRateMeter({ now: () => at });
      for (const time of [...times].sort((a, b) => a - b)) {
        at = time;
        meter.record("c");
      }
      return meter.peak("c");
    };
    const background = sends.filter((send) => send.priority === "background").map((send) => send.at);
    const interactive = sends.filter((send) => send.priority === "interactive").map((send) => send.at);
    expect(peak(sends.map((send) => send.at))).toBeLessThanOrEqual(20);
    expect(peak(background)).toBeLessThanOrEqual(10);
    // Two windows (70 s each) begin within 150 s: background got its share at least once, interactive its part.
    expect(background.length).toBeGreaterThanOrEqual(10);
    expect(interactive.length).toBeGreaterThanOrEqual(10);
  }, 30_000);
});
