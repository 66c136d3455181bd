import { randomUUID } from "node:crypto";
import { type DynamoDBClient, QueryCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { bulkPartitionOf, bulkTrailPartitionOf, JOB_SORT_KEY } from "#adapters/dynamo/bulk-items.ts";
import { DynamoBulkJobStore } from "#adapters/dynamo/bulk-job-store.ts";
import { DynamoCancellationStore } from "#adapters/dynamo/cancellation-store.ts";
import { DynamoUnitOfWork } from "#adapters/dynamo/unit-of-work.ts";
import type { BulkJob, ManifestEntry } from "#core/bulk-job.ts";
import type { BulkJobAuditRecord } from "#core/bulk-ports.ts";
import type { Cancellation } from "#core/cancellation.ts";
import { createLocalDynamoClient, createTestTables, type TestTables } from "#test/support/dynamo-tables.ts";
import { countRoundTrips } from "#test/support/round-trip-counter.ts";

let client: DynamoDBClient;
let tables: TestTables;
let store: DynamoBulkJobStore;
let cancellations: DynamoCancellationStore;
let work: DynamoUnitOfWork;

beforeAll(async () => {
  client = createLocalDynamoClient(inject("dynamoEndpoint"));
  tables = await createTestTables(client, "bulk-job-store");
  store = new DynamoBulkJobStore({ client, table: tables.idempotencyTable, auditTable: tables.auditTable });
  cancellations = new DynamoCancellationStore({ client, ...tables });
  work = new DynamoUnitOfWork({ client, ...tables });
});

afterAll(async () => {
  await tables?.drop();
  client?.destroy();
});

const T0 = Date.parse("2026-11-23T10:00:00.000Z");
const at = (ms = T0) => new Date(ms).toISOString();

const manifestOf = (n: number): ManifestEntry[] =>
  Array.from({ length: n }, (_, i) => ({
    line: i + 1,
    kind: "run",
    target: { type: "intent", id: `i${i}` },
  }));

const newJob = (overrides: Partial<BulkJob> = {}): BulkJob => ({
  id: randomUUID(),
  state: "QUEUED",
  version: 1,
  actor: "storefront_app",
  idempotencyKey: "k",
  correlationId: "c",
  payloadHash: "h1",
  manifest: { id: "h1" },
  total: 3,
  runnable: 3,
  rejected: 0,
  duplicates: 0,
  upstreamCalls: { "procure-core": 3, a55: 0 },
  fanout: { next: 0, sent: 0 },
  createdAt: at(),
  updatedAt: at(),
  nextCheckAt: T0,
  started: 0,
  finished: 0,
  outcomes: {},
  ...overrides,
});

const auditOf = (job: BulkJob, to = job.state): BulkJobAuditRecord => ({
  kind: "bulk-job",
  id: randomUUID(),
  at: job.updatedAt,
  jobId: job.id,
  actor: job.actor,
  correlationId: job.correlationId,
  to,
  detail: "test",
  total: job.total,
  counts: {},
  createdAt: job.createdAt,
});

/** An item's intent cancellation waiting on Procure-Core, as the item's request leaves it. */
const openItemCancellation = (jobId: string, id: string, index: number): Cancellation => ({
  kind: "intent",
  id,
  state: "INTENT_PENDING",
  version: 1,
  request: {
    intentId: id,
    trigger: "bulk",
    actor: "storefront_app",
    correlationId: "c",
    scopeKey: `bulk:${jobId}:intent:${id}`,
    requestedAt: at(),
    bulk: { jobId, index },
  },
  steps: {},
  nextCheckAt: T0,
  checks: 0,
  updatedAt: at(),
});

const running = async (total = 3): Promise<BulkJob> => {
  const job = newJob({ total, runnable: total });
  await store.create(job, manifestOf(total), [auditOf(job)]);
  const next = { ...job, state: "RUNNING" as const, version: 2 };
  expect(await store.commit({ next, expectedVersion: 1 }, [auditOf(next)])).toBe("written");
  return next;
};

const finish = (jobId: string, index: number) => ({
  jobId,
  index,
  outcome: "CANCELLED" as const,
  summary: { type: "CANCELLED" as const, upstreamStatus: 200 },
  at: at(T0 + 1_000),
  via: "request" as const,
  endId: randomUUID(),
});

/**
 * Item `index`'s cancellation left waiting by its request, then finished by the continuation:
 * the cancellation's transition to DONE carries the item's result. Answers the intent's id.
 */
const finishByTheContinuation = async (jobId: string, index: number): Promise<string> => {
  const id = `a-${randomUUID()}`;
  const open = openItemCancellation(jobId, id, index);
  expect(await work.commitTransition({ next: open, expectedVersion: null }, [])).toBe("written");
  const { nextCheckAt: _n, ...rest } = open;
  const done: Cancellation = {
    ...rest,
    state: "DONE",
    version: 2,
    outcome: { type: "CANCELLED", target: { type: "intent", id } },
  };
  expect(
    await work.commitTransition({ next: done, expectedVersion: 1 }, [], {
      ...finish(jobId, index),
      via: "continuation",
    }),
  ).toBe("written");
  return id;
};

/** The job's trail records that announce its end (the outbox items of `Bulk Cancellation Finished`). */
const announcements = async (jobId: string): Promise<BulkJobAuditRecord[]> => {
  const output = await client.send(
    new QueryCommand({
      TableName: tables.auditTable,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": { S: bulkTrailPartitionOf(jobId) } },
      ConsistentRead: true,
    }),
  );
  return (output.Items ?? [])
    .map((item) => JSON.parse(item.record?.S ?? "{}") as BulkJobAuditRecord)
    .filter((record) => record.event === "Bulk Cancellation Finished");
};

describe("DynamoBulkJobStore", () => {
  it("stores 10,000 lines in chunks and the job in 2 round trips; reads any range back; a second create finds the job", async () => {
    const job = newJob({ total: 10_000, runnable: 10_000 });
    const counter = countRoundTrips(client);
    counter.reset();

    expect(await store.create(job, manifestOf(10_000), [auditOf(job)])).toEqual({ kind: "created" });
    expect(counter.byCommand()).toEqual({ BatchWriteItemCommand: 1, TransactWriteItemsCommand: 1 });
    counter.detach();

    const read = await store.manifest(job, 498, 1_003);
    expect(read).toHaveLength(505);
    expect(read[0]).toMatchObject({ line: 499 });
    expect(read.at(-1)).toMatchObject({ line: 1_003 });
    const again = await store.create({ ...job, payloadHash: "other" }, manifestOf(1), []);
    expect(again).toEqual({
      kind: "exists",
      job: expect.objectContaining({ id: job.id, payloadHash: "h1", started: 0 }),
    });
  });

  it("a transition is written at its version only, and with a guard only while the counters are as read", async () => {
    const job = await running();
    const stale = { ...job, state: "STOPPING" as const, version: 2 };
    expect(await store.commit({ next: stale, expectedVersion: 1 }, [])).toBe("conflict");

    expect(await store.startItem(job.id, 0, at())).toEqual({ kind: "started" });
    const done = { ...job, state: "DONE" as const, version: 3, nextCheckAt: undefined };
    expect(
      await store.commit({ next: done, expectedVersion: 2, guard: { started: 0, finished: 0 } }, []),
    ).toBe("conflict");
    const stopping = { ...job, state: "STOPPING" as const, version: 3 };
    expect(
      await store.commit({ next: stopping, expectedVersion: 2, guard: { started: 1, finished: 0 } }, []),
    ).toBe("written");
    expect(await store.get(job.id)).toMatchObject({ state: "STOPPING", version: 3, started: 1 });
  });

  it("an item starts once, only while its job is RUNNING; its result is written once and counted once", async () => {
    const queued = newJob();
    await store.create(queued, manifestOf(3), []);
    expect(await store.startItem(queued.id, 0, at())).toEqual({ kind: "not-running", state: "QUEUED" });
    expect(await store.startItem(randomUUID(), 0, at())).toEqual({ kind: "no-job" });

    const job = await running();
    expect(await store.startItem(job.id, 0, at())).toEqual({ kind: "started" });
    expect(await store.startItem(job.id, 0, at())).toEqual({
      kind: "already-started",
      result: { index: 0, status: "RUNNING", startedAt: at() },
    });
    await store.markPending(job.id, 0, { type: "PENDING" });
    expect(await store.finishItem(finish(job.id, 0))).toBe("written");
    expect(await store.finishItem(finish(job.id, 0))).toBe("already-final");
    await store.markPending(job.id, 0, { type: "PENDING" });
    expect(await store.finishItem(finish(job.id, 1))).toBe("already-final");

    expect(await store.results(job.id, 0, 3)).toEqual([
      {
        index: 0,
        status: "CANCELLED",
        startedAt: at(),
        finishedAt: at(T0 + 1_000),
        outcome: { type: "CANCELLED", upstreamStatus: 200 },
        via: "request",
      },
    ]);
    expect(await store.get(job.id)).toMatchObject({ started: 1, finished: 1, outcomes: { CANCELLED: 1 } });

    const stopping = { ...job, state: "STOPPING" as const, version: 3 };
    await store.commit({ next: stopping, expectedVersion: 2 }, []);
    expect(await store.startItem(job.id, 1, at())).toEqual({ kind: "not-running", state: "STOPPING" });
  });

  it("jobs are due in their own partition of the due index: the continuation never reads them", async () => {
    const job = newJob({ nextCheckAt: T0 - 1 });
    await store.create(job, manifestOf(3), []);

    expect((await store.due(T0, 100)).map((j) => j.id)).toContain(job.id);
    expect((await cancellations.due(T0 + 86_400_000)).items.map((c) => c.id)).not.toContain(job.id);
    const final = { ...job, state: "STOPPED" as const, version: 2, nextCheckAt: undefined };
    await store.commit({ next: final, expectedVersion: 1 }, []);
    expect((await store.due(T0, 100)).map((j) => j.id)).not.toContain(job.id);
  });

  it("a cancellation's transition finishes its bulk item in the same transaction, and stands alone when the item was finished first", async () => {
    const job = await running();
    await store.startItem(job.id, 0, at());
    await store.startItem(job.id, 1, at());
    const open = (id: string, index: number): Cancellation => openItemCancellation(job.id, id, index);
    const doneOf = (c: Cancellation): Cancellation => {
      const { nextCheckAt: _n, ...rest } = c;
      return {
        ...rest,
        state: "DONE",
        version: 2,
        outcome: { type: "CANCELLED", target: { type: "intent", id: c.id } },
      };
    };
    const [a, b] = [open(`a-${randomUUID()}`, 0), open(`b-${randomUUID()}`, 1)];
    for (const c of [a, b])
      expect(await work.commitTransition({ next: c, expectedVersion: null }, [])).toBe("written");
    await store.finishItem(finish(job.id, 1));

    expect(
      await work.commitTransition({ next: doneOf(a), expectedVersion: 1 }, [], {
        ...finish(job.id, 0),
        via: "continuation",
      }),
    ).toBe("written");
    expect(
      await work.commitTransition({ next: doneOf(b), expectedVersion: 1 }, [], {
        ...finish(job.id, 1),
        via: "continuation",
      }),
    ).toBe("written");

    expect((await store.results(job.id, 0, 2)).map((r) => [r.status, r.via])).toEqual([
      ["CANCELLED", "continuation"],
      ["CANCELLED", "request"],
    ]);
    expect(await store.get(job.id)).toMatchObject({ finished: 2, outcomes: { CANCELLED: 2 } });
    expect((await cancellations.get("intent", b.id))?.state).toBe("DONE");
  });
  it("the last item's result ends the job in the same transaction (DONE, finishedAt, out of the due index, announced once), however many results race", async () => {
    const job = await running(6);
    for (let i = 0; i < 6; i++) await store.startItem(job.id, i, at());
    expect(await store.finishItem(finish(job.id, 0))).toBe("written");
    expect((await store.get(job.id))?.state).toBe("RUNNING");

    // The other five at once (and one of them twice: a redelivery); the driver's looks bump the version meanwhile.
    const looks = (async () => {
      for (let i = 0; i < 5; i++) {
        const seen = await store.get(job.id);
        if (seen?.state !== "RUNNING") return;
        await store.commit(
          { next: { ...seen, version: seen.version + 1 }, expectedVersion: seen.version },
          [],
        );
      }
    })();
    const written = await Promise.all([1, 2, 3, 4, 5, 5].map((i) => store.finishItem(finish(job.id, i))));
    await looks;

    expect(written.sort()).toEqual(["already-final", "written", "written", "written", "written", "written"]);
    const ended = await store.get(job.id);
    expect(ended).toMatchObject({
      state: "DONE",
      finished: 6,
      outcomes: { CANCELLED: 6 },
      finishedAt: at(T0 + 1_000),
      fanout: { next: 6, sent: 6 },
    });
    expect(ended?.nextCheckAt).toBeUndefined();
    expect((await store.due(T0 + 86_400_000, 100)).map((j) => j.id)).not.toContain(job.id);
    const announced = await announcements(job.id);
    expect(announced).toHaveLength(1);
    expect(announced[0]).toMatchObject({ from: "RUNNING", to: "DONE", counts: { CANCELLED: 6 } });
  });

  it("the last result ends its job even when the job is rewritten between each read and write of the end, five times in a row", async () => {
    const job = await running(1);
    await store.startItem(job.id, 0, at());
    // A store whose every read of the job is followed by another writer's transition (a driver's look).
    const busyClient = createLocalDynamoClient(inject("dynamoEndpoint"));
    let looks = 5;
    busyClient.middlewareStack.add(
      (next, context) => async (args) => {
        const output = await next(args);
        if (context.commandName === "GetItemCommand" && looks-- > 0) {
          const seen = await store.get(job.id);
          if (seen)
            await store.commit(
              { next: { ...seen, version: seen.version + 1 }, expectedVersion: seen.version },
              [],
            );
        }
        return output;
      },
      { step: "initialize", name: "aDriverLooksAfterEachRead" },
    );
    const busy = new DynamoBulkJobStore({
      client: busyClient,
      table: tables.idempotencyTable,
      auditTable: tables.auditTable,
    });

    expect(await busy.finishItem(finish(job.id, 0))).toBe("written");

    expect(looks).toBeLessThan(0);
    expect(await store.get(job.id)).toMatchObject({ state: "DONE", finished: 1, version: 2 + 5 + 1 });
    expect(await announcements(job.id)).toHaveLength(1);
  });

  it("the continuation's transition that finishes a job's last item ends the job with it, in one transaction", async () => {
    const job = await running(2);
    await store.startItem(job.id, 0, at());
    await store.startItem(job.id, 1, at());
    await store.finishItem(finish(job.id, 1));
    const id = await finishByTheContinuation(job.id, 0);

    expect(await store.get(job.id)).toMatchObject({ state: "DONE", finished: 2 });
    expect(await announcements(job.id)).toHaveLength(1);
    expect((await cancellations.get("intent", id))?.state).toBe("DONE");
  });

  it("a stopping job's last result in flight ends it STOPPED in the same transaction, announced once, however many results race", async () => {
    const job = await running(8);
    for (let i = 0; i < 5; i++) await store.startItem(job.id, i, at());
    expect(await store.finishItem(finish(job.id, 0))).toBe("written");
    const stopping = { ...job, state: "STOPPING" as const, version: 3, stopRequestedAt: at() };
    expect(await store.commit({ next: stopping, expectedVersion: 2 }, [auditOf(stopping)])).toBe("written");
    expect(await store.startItem(job.id, 5, at())).toEqual({ kind: "not-running", state: "STOPPING" });

    // The four in flight at once, one of them twice (a redelivery).
    const written = await Promise.all([1, 2, 3, 4, 4].map((i) => store.finishItem(finish(job.id, i))));

    expect(written.sort()).toEqual(["already-final", "written", "written", "written", "written"]);
    const ended = await store.get(job.id);
    expect(ended).toMatchObject({
      state: "STOPPED",
      started: 5,
      finished: 5,
      outcomes: { CANCELLED: 5 },
      finishedAt: at(T0 + 1_000),
      fanout: job.fanout,
    });
    expect(ended?.nextCheckAt).toBeUndefined();
    const announced = await announcements(job.id);
    expect(announced).toHaveLength(1);
    expect(announced[0]).toMatchObject({
      from: "STOPPING",
      to: "STOPPED",
      counts: { CANCELLED: 5, STOPPED: 3 },
    });
  });

  it("the continuation's transition that finishes a stopping job's last item in flight ends the job with it", async () => {
    const job = await running(3);
    await store.startItem(job.id, 0, at());
    const stopping = { ...job, state: "STOPPING" as const, version: 3 };
    expect(await store.commit({ next: stopping, expectedVersion: 2 }, [])).toBe("written");
    await finishByTheContinuation(job.id, 0);

    expect(await store.get(job.id)).toMatchObject({ state: "STOPPED", started: 1, finished: 1 });
    expect(await announcements(job.id)).toHaveLength(1);
  });

  it("a job stored before its in-flight count existed is left STOPPING for the driver: its partial count never ends it early", async () => {
    const job = await running(3);
    await store.startItem(job.id, 0, at());
    await store.startItem(job.id, 1, at());
    // As stored before: no inFlight, no countsInFlight; the later start counts only itself.
    await client.send(
      new UpdateItemCommand({
        TableName: tables.idempotencyTable,
        Key: { pk: { S: bulkPartitionOf(job.id) }, sk: { S: JOB_SORT_KEY } },
        UpdateExpression: "REMOVE inFlight, countsInFlight",
      }),
    );
    await store.startItem(job.id, 2, at());
    const stopping = { ...job, state: "STOPPING" as const, version: 3 };
    expect(await store.commit({ next: stopping, expectedVersion: 2 }, [])).toBe("written");

    expect(await store.finishItem(finish(job.id, 0))).toBe("written");
    expect(await store.get(job.id)).toMatchObject({ state: "STOPPING", started: 3, finished: 1 });
    expect(await announcements(job.id)).toHaveLength(0);
  });

  it("a job stored before its remaining count existed is ended by the driver, as before", async () => {
    const job = await running(1);
    await client.send(
      new UpdateItemCommand({
        TableName: tables.idempotencyTable,
        Key: { pk: { S: bulkPartitionOf(job.id) }, sk: { S: JOB_SORT_KEY } },
        UpdateExpression: "REMOVE remaining",
      }),
    );
    await store.startItem(job.id, 0, at());
    expect(await store.finishItem(finish(job.id, 0))).toBe("written");
    expect(await store.get(job.id)).toMatchObject({ state: "RUNNING", finished: 1 });
    expect(await announcements(job.id)).toHaveLength(0);
  });
});
