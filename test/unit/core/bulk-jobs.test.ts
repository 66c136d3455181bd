import { describe, expect, it } from "vitest";
import { itemsPage } from "#core/bulk-results.ts";
import { bulkWorld, intents, lines, SUBMITTER } from "#test/support/bulk-world.ts";

const createdJob = async (world: ReturnType<typeof bulkWorld>, ...args: Parameters<typeof world.submit>) => {
  const submitted = await world.submit(...args);
  if (submitted.kind !== "created") throw new Error(`expected a new job, got ${submitted.kind}`);
  return submitted.job;
};

describe("bulk jobs (core, in memory)", () => {
  it("runs every item once as a bulk cancel, finishes DONE with its counts, and announces it once", async () => {
    const world = bulkWorld();
    world.intents.add("a", "SUBMITTED").add("b", "SUBMITTED").add("c", "COMPLETED");
    const job = await createdJob(world, lines(...intents("a", "b", "c", "a", "missing")), {
      reason: "outage",
    });

    expect(job).toMatchObject({ state: "QUEUED", total: 5, runnable: 4, duplicates: 1 });
    await world.drive();
    expect(world.work.sent.map((m) => [m.index, m.target])).toEqual([
      [0, { type: "intent", id: "a" }],
      [1, { type: "intent", id: "b" }],
      [2, { type: "intent", id: "c" }],
      [4, { type: "intent", id: "missing" }],
    ]);
    await world.drain();
    world.clock.advance(15_000);
    await world.drive();

    const done = await world.bulk.get(job.id);
    expect(done).toMatchObject({
      state: "DONE",
      started: 4,
      finished: 4,
      outcomes: { CANCELLED: 2, NOT_CANCELLABLE: 1, NOT_FOUND: 1 },
    });
    expect(world.intents.effects).toBe(2);
    // Each cancel is an ordinary one, under the bulk trigger, with the submitter as actor.
    expect(world.audit.records.filter((r) => r.target.id === "a")).toEqual([
      expect.objectContaining({ trigger: "bulk", actor: SUBMITTER, outcome: "CANCELLED", reason: "outage" }),
    ]);
    const finished = world.bulk.audits.filter((r) => r.event === "Bulk Cancellation Finished");
    expect(finished).toEqual([
      expect.objectContaining({
        jobId: job.id,
        from: "RUNNING",
        to: "DONE",
        total: 5,
        counts: { CANCELLED: 2, NOT_CANCELLABLE: 1, NOT_FOUND: 1, DUPLICATE: 1 },
      }),
    ]);
    const page = await itemsPage(world.bulk, await world.jobOf(job.id), { from: 0, limit: 10 });
    expect(page.items.map((row) => [row.line, row.outcome])).toEqual([
      [1, "CANCELLED"],
      [2, "CANCELLED"],
      [3, "NOT_CANCELLABLE"],
      [4, "DUPLICATE"],
      [5, "NOT_FOUND"],
    ]);
    expect(page.items[4]).toMatchObject({
      upstreamStatus: 404,
      upstreamCode: 40401,
      trail: "/api/v1/cancellations/intent/missing",
    });
  });

  it("the same submission under the same key is the same job; another one under that key is refused", async () => {
    const world = bulkWorld();
    const job = await createdJob(world, lines(...intents("a", "b")));

    const again = await world.submit(lines(...intents("a", "b")));
    const other = await world.submit(lines(...intents("a", "c")));
    const otherKey = await world.submit(lines(...intents("a", "b")), { key: "key-2" });

    expect(again).toEqual({ kind: "replayed", job: expect.objectContaining({ id: job.id }) });
    expect(other).toEqual({ kind: "payload-mismatch" });
    expect(otherKey.kind === "created" && otherKey.job.id).not.toBe(job.id);
    expect(world.bulk.jobs.size).toBe(2);
  });

  it("a message delivered twice, and messages sent again after a crash mid-fan-out, act once and count once", async () => {
    const world = bulkWorld({ checkpointEvery: 2 });
    for (const id of ["a", "b", "c", "d", "e"]) world.intents.add(id, "SUBMITTED");
    const job = await createdJob(world, lines(...intents("a", "b", "c", "d", "e")));
    const send = world.work.send.bind(world.work);
    let sends = 0;
    world.work.send = async (messages) => {
      await send(messages);
      // The function dies after its second send, before that send's checkpoint.
      if (++sends === 2) throw new Error("killed");
    };

    await expect(world.drive()).rejects.toThrow("killed");
    world.work.send = send;
    await world.drive();
    expect(world.work.sent.map((m) => m.index)).toEqual([0, 1, 2, 3, 2, 3, 4]);
    const [first] = world.work.sent;
    await world.drain();
    if (!first) throw new Error("nothing was sent");
    await world.run(first);
    world.clock.advance(15_000);
    await world.drive();

    expect(world.intents.effects).toBe(5);
    expect(await world.bulk.get(job.id)).toMatchObject({
      state: "DONE",
      started: 5,
      finished: 5,
      outcomes: { CANCELLED: 5 },
    });
  });

  it("asynchronous items count as pending until the continuation finishes them, in the same step as their result", async () => {
    const world = bulkWorld();
    world.intents.add("slow", "PROCESSING").add("fast", "SUBMITTED");
    const job = await createdJob(world, lines(...intents("slow", "fast")));
    await world.drive();
    await world.drain();
    await world.drive();
    expect(await world.bulk.get(job.id)).toMatchObject({ state: "RUNNING", started: 2, finished: 1 });
    expect((await world.bulk.results(job.id, 0, 2)).map((r) => r.status)).toEqual(["PENDING", "CANCELLED"]);

    world.intents.finishPending();
    world.clock.advance(60_000);
    await world.continuation();
    expect((await world.bulk.results(job.id, 0, 1))[0]).toMatchObject({
      status: "CANCELLED",
      via: "continuation",
    });
    await world.drive();

    expect(await world.bulk.get(job.id)).toMatchObject({ state: "DONE", outcomes: { CANCELLED: 2 } });
  });

  it("stop: items not started are never started (STOPPED), items in flight finish, then STOPPED with its counts", async () => {
    const world = bulkWorld();
    world.intents.add("slow", "PROCESSING").add("b", "SUBMITTED").add("c", "SUBMITTED");
    const job = await createdJob(world, lines(...intents("slow", "b", "c")));
    await world.drive();
    await world.run(world.takeMessage());

    const stopping = await world.stop(job.id);
    const late = await world.drain();

    expect(stopping.kind).toBe("stopping");
    expect(late).toEqual([
      { kind: "not-started", state: "STOPPING" },
      { kind: "not-started", state: "STOPPING" },
    ]);
    expect(world.intents.calls.filter((c) => c.startsWith("cancel:"))).toEqual(["cancel:slow"]);
    await world.drive();
    expect((await world.bulk.get(job.id))?.state).toBe("STOPPING");
    world.intents.finishPending();
    world.clock.advance(60_000);
    await world.continuation();
    await world.drive();

    const stopped = await world.jobOf(job.id);
    expect(stopped).toMatchObject({ state: "STOPPED", started: 1, finished: 1 });
    expect(world.bulk.audits.at(-1)).toMatchObject({
      to: "STOPPED",
      event: "Bulk Cancellation Finished",
      counts: { CANCELLED: 1, STOPPED: 2 },
    });
    expect(
      (await itemsPage(world.bulk, stopped, { from: 0, limit: 10, outcome: "STOPPED" })).items.map(
        (r) => r.line,
      ),
    ).toEqual([2, 3]);
    expect(await world.stop(job.id)).toEqual({
      kind: "finished",
      job: expect.objectContaining({ state: "STOPPED" }),
    });
  });

  it("stop of a job with nothing in flight is final at once; another client's stop finds no job", async () => {
    const world = bulkWorld();
    const job = await createdJob(world, lines(...intents("a", "b")));

    expect(await world.stop(job.id, "someone_else")).toEqual({ kind: "not-found" });
    const stopped = await world.stop(job.id);
    await world.drive();

    expect(stopped.kind).toBe("stopped");
    expect(world.work.sent).toEqual([]);
    expect(world.bulk.audits.filter((r) => r.event)).toHaveLength(1);
  });

  it("an item whose cancel joined another request's cancellation is finished by the driver's reconciliation", async () => {
    const world = bulkWorld({ reconcileEveryMs: 60_000 });
    world.intents.add("shared", "PROCESSING");
    // Someone else's asynchronous cancel of the same intent is open first.
    const { cancelIntent } = await import("#core/cancel-intent.ts");
    await cancelIntent(
      world.deps,
      {
        trigger: "http",
        actor: "other",
        owner: "other",
        correlationId: "c0",
        deadline: world.clock.now() + 10_000,
        idempotency: { scopeKey: "http:other:1" },
      },
      { intentId: "shared" },
    );
    const job = await createdJob(world, lines(...intents("shared")));
    await world.drive();
    await world.drain();
    world.intents.finishPending();
    world.clock.advance(60_000);
    await world.continuation();
    // The continuation finished the other request's cancellation, which knows no bulk item.
    expect((await world.bulk.results(job.id, 0, 1))[0]).toMatchObject({ status: "PENDING" });
    expect((await world.bulk.get(job.id))?.state).toBe("RUNNING");

    // The driver's reconciliation writes the item's result, the job's last: the job ends with it.
    const look = await world.drive();

    expect((await world.bulk.results(job.id, 0, 1))[0]).toMatchObject({ status: "CANCELLED", via: "driver" });
    expect((await world.bulk.get(job.id))?.state).toBe("DONE");
    expect(look).toMatchObject({ reconciled: 1 });
    expect(world.bulk.audits.filter((r) => r.event === "Bulk Cancellation Finished")).toHaveLength(1);
  });

  it("a stop read while nothing was in flight is not final if an item starts before it is written", async () => {
    const world = bulkWorld();
    world.intents.add("a", "SUBMITTED");
    const job = await createdJob(world, lines(...intents("a")));
    await world.drive();

    // The stop reads the job, the item starts (and finishes), then the stop writes.
    const [stopped] = await Promise.all([world.stop(job.id), world.run(world.takeMessage())]);

    expect(stopped.kind).toBe("stopping");
    world.clock.advance(15_000);
    await world.drive();
    expect(world.bulk.audits.find((r) => r.event)).toMatchObject({ to: "STOPPED", counts: { CANCELLED: 1 } });
  });

  it("a job nothing moves for stuckAfterMs is reported stuck at every look, until an item moves again", async () => {
    const world = bulkWorld({ stuckAfterMs: 60 * 60_000 });
    world.intents.add("a", "SUBMITTED").add("b", "SUBMITTED");
    const job = await createdJob(world, lines(...intents("a", "b")));
    await world.drive();
    // Item a runs; item b's messages are all lost (dead-lettered): nothing moves any more.
    await world.run(world.takeMessage());
    world.work.take();

    const looks: number[] = [];
    let stuck: unknown[] = [];
    for (let minute = 0; minute <= 61; minute++) {
      world.clock.advance(60_000);
      stuck = (await world.drive()).stuck;
      looks.push(stuck.length);
    }
    // An operator redrives b's message: its result, the job's last, ends the job.
    await world.run({ jobId: job.id, index: 1, target: { type: "intent", id: "b" }, actor: SUBMITTER });
    expect((await world.jobOf(job.id)).state).toBe("DONE");
    world.clock.advance(60_000);
    const after = await world.drive();

    // The first look after item a's result notes the mark; an hour later the job is stuck.
    expect(looks.indexOf(1)).toBe(60);
    expect(looks.slice(60)).toEqual([1, 1]);
    expect(stuck).toEqual([
      { jobId: job.id, state: "RUNNING", pending: 0, queued: 1, since: expect.any(String) },
    ]);
    // Final: no longer due, so the next look has nothing to do.
    expect(after).toMatchObject({ jobs: 0, stuck: [], finished: 0 });
    expect((await world.jobOf(job.id)).state).toBe("DONE");
  });
});
