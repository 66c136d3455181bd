import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, inject, it, onTestFailed } from "vitest";
import type { BulkItemMessage, BulkWorkQueue } from "#core/bulk-ports.ts";
import { lambdaContext } from "#test/support/lambda-events.ts";
import { getBulkDriverWiring, setBulkDriverWiring } from "#wiring/bulk-driver-wiring.ts";
import { caseSeed, profile } from "./support/profile.ts";
import { assertCleanRun, type ReliabilityRun, startReliabilityRun } from "./support/reliability-run.ts";
import { printSummary, type SummaryRow } from "./support/summary.ts";

/**
 * Case 9. A bulk job's fan-out is killed twice, at seeded sends, and resumed by the next run
 * of the continuation function (which drives the jobs) from its last checkpoint:
 *
 * - kill 1: the run dies after a send reached the work queue and before its checkpoint; the
 *   items it sent are then run to the end by the bus function, so the next run sends again
 *   items that already finished;
 * - kill 2: the next run dies in the middle of a send (its first SendMessageBatch call of ten
 *   reached the queue, the rest never left), so some of those items are on the queue twice.
 *
 * "Dying" is an invocation that never goes on from that point (the function froze or was
 * killed: nothing after it happens, as in case 3a). A third run finishes the fan-out. Then:
 * 0 lost (every item has its final result, the job is DONE with every counter equal to the
 * items), 0 doubled (one upstream cancel request and one effect per intent, one item result
 * per line, one `Bulk Cancellation Finished`), and the resends really happened (more item
 * messages sent than items, else the case proved nothing).
 */
const SEED = caseSeed(profile, 9);
const ITEMS = profile.bulkKill.items;
/** The driver checkpoints after this many items sent: a send is two SendMessageBatch calls. */
const CHECKPOINT_EVERY = 20;
/** One in this many intents is PROCESSING: its item stays PENDING until the continuation finishes it. */
const ASYNC_EVERY = 10;

const never = (): Promise<never> => new Promise<never>(() => {});

interface KillPlan {
  /** The send (1-based, within its run) at which the run dies. */
  atSend: number;
  /** After the whole send reached the queue, or after its first ten messages only. */
  point: "after-send" | "mid-send";
}

describe(`reliability: bulk fan-out killed twice (${profile.name})`, () => {
  let run: ReliabilityRun;
  const rows: SummaryRow[] = [];

  beforeAll(async () => {
    run = await startReliabilityRun({
      name: "reliability-bulk-kill",
      dynamoEndpoint: inject("dynamoEndpoint"),
      dynamoClient: { connectionTimeoutMs: 5_000, requestTimeoutMs: 10_000 },
      processingCancelDelayMs: 200,
      env: { CONTINUATION_FIRST_CHECK: "1s" },
      bulkPacing: { recheckMs: 0, checkpointEvery: CHECKPOINT_EVERY },
    });
  });
  afterAll(async () => {
    await run?.stop();
    if (rows.length > 0) printSummary(profile, SEED, rows);
  });

  it(
    `a ${ITEMS}-intent job, its fan-out killed after a send and then mid-send: 0 lost, 0 doubled`,
    async () => {
      onTestFailed(() =>
        console.error(`bulk fan-out kill failed: RELIABILITY_SEED=${profile.seed} (case seed ${SEED})`),
      );
      const { kit, traffic } = run;
      const startedAt = Date.now();
      const sends = Math.ceil(ITEMS / CHECKPOINT_EVERY);
      // Kill 1 leaves at least two sends for the run after it, which dies at its second or later.
      const [[first, second] = [1, 2]] = fc.sample(
        fc.tuple(fc.integer({ min: 1, max: Math.max(1, sends - 4) }), fc.integer({ min: 2, max: 3 })),
        { seed: SEED, numRuns: 1 },
      );
      const kills: KillPlan[] = [
        { atSend: first, point: "after-send" },
        { atSend: second, point: "mid-send" },
      ];

      const ids = Array.from({ length: ITEMS }, (_, i) =>
        kit.newIntent(i % ASYNC_EVERY === ASYNC_EVERY - 1 ? "PROCESSING" : "SUBMITTED", {
          prefix: "bulk-kill",
        }),
      );
      const submitted = await kit.http(
        run.signed({
          method: "POST",
          path: "/api/v1/bulk-cancellations?reason=kill%20twice",
          headers: { "content-type": "text/csv", "idempotency-key": randomUUID() },
          body: `id\n${ids.join("\n")}\n`,
        }),
      );
      expect(submitted.statusCode).toBe(202);
      const job = submitted.body as { id: string; links: { self: string; items: string } };

      // The driver's work queue, wrapped: counts what reaches the queue, dies where planned.
      const wiring = getBulkDriverWiring(kit.container);
      const real = wiring.work;
      const messagesSent = new Map<number, number>();
      const reallySend = async (messages: readonly BulkItemMessage[]): Promise<void> => {
        await real.send(messages);
        for (const message of messages)
          messagesSent.set(message.index, (messagesSent.get(message.index) ?? 0) + 1);
      };
      let plan: KillPlan | undefined;
      let sendsThisRun = 0;
      let died: () => void = () => {};
      const dying: BulkWorkQueue = {
        send: async (messages) => {
          sendsThisRun++;
          if (plan?.atSend !== sendsThisRun) return reallySend(messages);
          await reallySend(plan.point === "after-send" ? messages : messages.slice(0, 10));
          died();
          return never();
        },
      };
      setBulkDriverWiring(kit.container, { ...wiring, work: dying });

      const continuation = () => kit.handlers.continuation({}, lambdaContext({ remainingMs: 30_000 }));
      const drainQueue = async (): Promise<number> => {
        let delivered = 0;
        while (kit.busQueue.queue.counts().visible > 0) {
          delivered += (await kit.busQueue.deliverBatch(kit.handlers.bus)).records.length;
        }
        return delivered;
      };
      const status = async () =>
        (await kit.http(run.signed({ method: "GET", path: job.links.self }))).body as {
          state: string;
          progress: { done: number; pending: number; queued: number; total: number };
        };

      let deliveries = 0;
      for (const kill of kills) {
        plan = kill;
        sendsThisRun = 0;
        const reached = new Promise<void>((resolve) => {
          died = resolve;
        });
        // The invocation is abandoned at the kill: it never answers, nothing after it runs.
        void continuation();
        await Promise.race([
          reached,
          sleep(20_000).then(() => Promise.reject(new Error("kill not reached"))),
        ]);
        deliveries += await drainQueue();
      }
      plan = undefined;

      // The next runs finish the fan-out, the asynchronous cancels and the job.
      const deadline = Date.now() + profile.testTimeoutMs - 20_000;
      let current = await status();
      while (current.state !== "DONE" && Date.now() < deadline) {
        await continuation();
        deliveries += await drainQueue();
        current = await status();
        if (current.state !== "DONE") {
          // Items the budget put back wait on the queue's own clock.
          kit.busQueue.advance(1_000);
          await sleep(250);
        }
      }

      // 0 lost: DONE, every line has its final result.
      expect(current).toMatchObject({
        state: "DONE",
        progress: { done: ITEMS, pending: 0, queued: 0, total: ITEMS },
      });
      const results = await kit.http(run.signed({ method: "GET", path: `${job.links.items}?limit=1000` }));
      const items = (results.body as { items: { index: number; outcome: string; target: { id: string } }[] })
        .items;
      const all = [...items];
      let cursor = (results.body as { cursor?: string }).cursor;
      while (cursor) {
        const page = await kit.http(
          run.signed({ method: "GET", path: `${job.links.items}?limit=1000&cursor=${cursor}` }),
        );
        all.push(...(page.body as { items: typeof items }).items);
        cursor = (page.body as { cursor?: string }).cursor;
      }
      expect(all.map((item) => item.index)).toEqual(ids.map((_, i) => i));
      expect(all.map((item) => item.target.id)).toEqual(ids);
      expect(all.filter((item) => item.outcome !== "CANCELLED")).toEqual([]);

      // 0 doubled: one cancel request and one effect per intent, one finished event.
      const cancelsSent = new Map<string, number>();
      for (const request of traffic.sent) {
        if (request.method === "POST" && request.path.endsWith("/cancel") && request.target) {
          cancelsSent.set(request.target, (cancelsSent.get(request.target) ?? 0) + 1);
        }
      }
      const doubled = ids.filter(
        (id) => cancelsSent.get(id) !== 1 || kit.procureCore.effects.count(id) !== 1,
      );
      expect(doubled).toEqual([]);
      const finished = (
        (await kit.announced()) as unknown as { detailType: string; detail: { target: { id: string } } }[]
      ).filter((e) => e.detailType === "Bulk Cancellation Finished" && e.detail.target.id === job.id);
      expect(finished).toHaveLength(1);

      // The kills did what they claim (else nothing was tested): the next run sent again the whole
      // send killed before its checkpoint, and the ten messages of the send killed midway.
      const resent = [...messagesSent.values()].filter((count) => count > 1).length;
      expect(messagesSent.size).toBe(ITEMS);
      expect(resent).toBe(CHECKPOINT_EVERY + 10);
      expect([...messagesSent.values()].every((count) => count <= 2)).toBe(true);

      rows.push({
        case: "9 bulk fan-out killed twice",
        requests: deliveries,
        upstream: [...cancelsSent.values()].reduce((a, b) => a + b, 0),
        effects: ids.reduce((sum, id) => sum + kit.procureCore.effects.count(id), 0),
        retries: resent,
        deadLetters: kit.busQueue.deadLetters.counts().visible,
        durationMs: Date.now() - startedAt,
        notes: `kills at sends ${kills.map((k) => `${k.atSend} (${k.point})`).join(", ")}; ${resent} items sent twice, each run once`,
      });
    },
    profile.testTimeoutMs,
  );

  it("logged no credential and left no promise rejected", () => {
    assertCleanRun(run);
  });
});
