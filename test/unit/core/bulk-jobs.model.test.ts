/**
 * Bulk jobs against random schedules of everything that can happen to one: driver runs,
 * deliveries, redeliveries, a function killed mid-fan-out (after a send, before its
 * checkpoint), a stop at any point, continuation runs and time passing. After the schedule,
 * everything is let run to the end. Invariants:
 *
 * - the job ends final, announced exactly once;
 * - every item ends exactly once: one final result, or STOPPED (never started);
 * - the job's counts, and its announcement's, equal its items' outcomes;
 * - no item started after the stop was accepted;
 * - no upstream effect twice, and no target's outcome announced twice;
 * - after every step, a job whose runnable items are all final is DONE, and a stopping job
 *   whose started items are all final is STOPPED: the write of its last item's result finishes
 *   it (whoever writes it: the item's request, the continuation, the driver's reconciliation),
 *   not the driver's next look.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { countsOf } from "#core/bulk-job.ts";
import { allItemRows } from "#core/bulk-results.ts";
import { bulkWorld, lines } from "#test/support/bulk-world.ts";

const STATUSES = ["SUBMITTED", "PROCESSING", "COMPLETED", "missing"] as const;

type Action =
  | { kind: "drive" }
  | { kind: "deliver" }
  | { kind: "redeliver"; pick: number }
  | { kind: "kill-fan-out"; after: number }
  | { kind: "stop" }
  /**
   * A stop and a delivery (or a driver run, or the continuation) at once: their reads and writes
   * interleave. The stop's read comes first; its write comes after `lag` turns of the others' work.
   */
  | { kind: "at-once"; with: "deliver" | "drive" | "continuation"; lag: number }
  | { kind: "continuation" }
  | { kind: "wait"; ms: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: "drive" as const }) },
  { weight: 6, arbitrary: fc.constant({ kind: "deliver" as const }) },
  { weight: 2, arbitrary: fc.nat(50).map((pick) => ({ kind: "redeliver" as const, pick })) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 3 }).map((after) => ({ kind: "kill-fan-out" as const, after })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "stop" as const }) },
  {
    weight: 4,
    arbitrary: fc
      .record({
        other: fc.constantFrom("deliver" as const, "drive" as const, "continuation" as const),
        lag: fc.nat(60),
      })
      .map(({ other, lag }) => ({ kind: "at-once" as const, with: other, lag })),
  },
  { weight: 2, arbitrary: fc.constant({ kind: "continuation" as const }) },
  {
    weight: 2,
    arbitrary: fc.integer({ min: 1_000, max: 120_000 }).map((ms) => ({ kind: "wait" as const, ms })),
  },
);

const scenario = fc.record({
  items: fc.array(fc.record({ id: fc.integer({ min: 0, max: 11 }), status: fc.constantFrom(...STATUSES) }), {
    minLength: 1,
    maxLength: 14,
  }),
  schedule: fc.array(action, { maxLength: 40 }),
  checkpointEvery: fc.integer({ min: 1, max: 4 }),
});

describe("bulk jobs: model", () => {
  it("fan-out, stop, redelivery, crashes and the continuation, in any order, keep every invariant", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ items, schedule, checkpointEvery }) => {
        const world = bulkWorld({ checkpointEvery, reconcileEveryMs: 60_000 });
        for (const { id, status } of items) {
          if (status !== "missing" && !world.intents.intents.has(`i${id}`))
            world.intents.add(`i${id}`, status);
        }
        const submitted = await world.submit(
          lines(...items.map(({ id }) => ({ type: "intent" as const, id: `i${id}` }))),
        );
        if (submitted.kind !== "created") throw new Error("not created");
        const jobId = submitted.job.id;

        // Every start that was written, and when the stop was accepted, in one sequence.
        let step = 0;
        const starts: { index: number; step: number }[] = [];
        let stopAcceptedAt: number | undefined;
        const startItem = world.bulk.startItem.bind(world.bulk);
        world.bulk.startItem = async (...args) => {
          const result = await startItem(...args);
          if (result.kind === "started") starts.push({ index: args[1], step: ++step });
          return result;
        };
        // The next read of the job answers what it read only after this many turns: a slow writer.
        let lagNextRead = 0;
        const get = world.bulk.get.bind(world.bulk);
        world.bulk.get = async (...args) => {
          const lag = lagNextRead;
          lagNextRead = 0;
          const job = await get(...args);
          for (let turn = 0; turn < lag; turn++) await Promise.resolve();
          return job;
        };
        const delivered: typeof world.work.sent = [];
        let killAfter: number | undefined;
        const send = world.work.send.bind(world.work);
        world.work.send = async (messages) => {
          if (killAfter !== undefined && --killAfter <= 0) {
            killAfter = undefined;
            await send(messages);
            throw new Error("killed after a send, before its checkpoint");
          }
          await send(messages);
        };
        const deliver = async (message: (typeof delivered)[number]) => {
          delivered.push(message);
          await world.run(message);
        };
        const stop = async () => {
          const result = await world.stop(jobId);
          if ((result.kind === "stopping" || result.kind === "stopped") && stopAcceptedAt === undefined) {
            stopAcceptedAt = ++step;
          }
        };

        /**
         * The job is never left RUNNING once every runnable item is final, nor STOPPING once
         * every started item is: the write of the last result ends it.
         */
        const expectDoneOnceAllFinal = async (): Promise<void> => {
          const job = await world.bulk.get(jobId);
          if (job?.state === "RUNNING" && job.finished >= job.runnable)
            expect.fail(
              `job RUNNING with all ${job.runnable} runnable items final (finished ${job.finished})`,
            );
          if (job?.state === "STOPPING" && job.finished >= job.started)
            expect.fail(
              `job STOPPING with all ${job.started} started items final (finished ${job.finished})`,
            );
        };

        for (const next of schedule) {
          switch (next.kind) {
            case "drive":
              await world.drive().catch((error: Error) => expect(error.message).toContain("killed"));
              break;
            case "deliver": {
              const message = world.work.take();
              if (message) await deliver(message);
              break;
            }
            case "redeliver": {
              const message = delivered[next.pick % Math.max(1, delivered.length)];
              if (message) await deliver(message);
              break;
            }
            case "kill-fan-out":
              killAfter = next.after;
              break;
            case "stop":
              await stop();
              break;
            case "at-once": {
              // The stop starts first: its read comes before the other's writes, its write after some.
              const other = async (): Promise<unknown> => {
                if (next.with === "drive")
                  return world.drive().catch((error: Error) => expect(error.message).toContain("killed"));
                if (next.with === "continuation") {
                  world.intents.finishPending();
                  return world.continuation();
                }
                const message = world.work.take();
                if (message) await deliver(message);
              };
              lagNextRead = next.lag;
              await Promise.all([stop(), other()]);
              break;
            }
            case "continuation":
              world.intents.finishPending();
              await world.continuation();
              break;
            case "wait":
              world.clock.advance(next.ms);
              break;
          }
          await expectDoneOnceAllFinal();
        }

        // Let everything run to its end.
        killAfter = undefined;
        for (let round = 0; round < 60; round++) {
          const job = await world.bulk.get(jobId);
          if (job?.state === "DONE" || job?.state === "STOPPED") break;
          world.clock.advance(61_000);
          world.intents.finishPending();
          await world.continuation();
          await world.drive();
          for (let message = world.work.take(); message; message = world.work.take()) await deliver(message);
          await expectDoneOnceAllFinal();
        }

        const job = await world.bulk.get(jobId);
        if (!job) throw new Error("job vanished");
        expect(["DONE", "STOPPED"]).toContain(job.state);
        if (stopAcceptedAt === undefined) expect(job.state).toBe("DONE");
        expect(world.bulk.audits.filter((r) => r.event === "Bulk Cancellation Finished")).toHaveLength(1);

        const rows = await allItemRows(world.bulk, job);
        const results = await world.bulk.results(jobId, 0, job.total);
        // Every runnable item: one final result, or none and STOPPED.
        for (const row of rows) {
          if (row.outcome === "DUPLICATE" || row.outcome === "REJECTED") continue;
          expect(["QUEUED", "RUNNING", "PENDING"]).not.toContain(row.outcome);
          if (row.outcome === "STOPPED") expect(results.some((r) => r.index === row.index)).toBe(false);
        }
        // Counts equal the items' outcomes.
        const tally: Record<string, number> = {};
        for (const row of rows) tally[row.outcome] = (tally[row.outcome] ?? 0) + 1;
        expect(countsOf(job).byOutcome).toEqual(tally);
        // The announcement says the same.
        expect(world.bulk.audits.find((r) => r.event)?.counts).toEqual(tally);
        expect(job.finished).toBe(results.length);
        expect(job.started).toBe(results.length);
        // No item started after the stop was accepted; each started once.
        if (stopAcceptedAt !== undefined)
          for (const start of starts) expect(start.step).toBeLessThan(stopAcceptedAt);
        expect(new Set(starts.map((s) => s.index)).size).toBe(starts.length);
        // No upstream effect twice, no outcome announced twice for one target.
        expect(world.intents.effects).toBeLessThanOrEqual(new Set(items.map((i) => i.id)).size);
        const finals = world.events.events.filter((e) => e.detailType !== "Cancellation Pending");
        const perTarget = new Map<string, number>();
        for (const event of finals)
          perTarget.set(event.detail.target.id, (perTarget.get(event.detail.target.id) ?? 0) + 1);
        for (const [target, n] of perTarget) expect([target, n]).toEqual([target, 1]);
      }),
      {
        numRuns: 300,
        verbose: 1,
      },
    );
  });
});
