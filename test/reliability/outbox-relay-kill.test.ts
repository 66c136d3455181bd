import { type ChildProcess, fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it, onTestFailed } from "vitest";
import {
  type LocalBusDoor,
  OUTBOX_TEST_BUS,
  startLocalBusDoor,
  waitForPublished,
} from "#test/support/outbox-harness.ts";
import { caseSeed, profile } from "./support/profile.ts";
import { mapLimit } from "./support/queue-platform.ts";
import { assertCleanRun, type ReliabilityRun, startReliabilityRun } from "./support/reliability-run.ts";
import { printSummary, type SummaryRow } from "./support/summary.ts";

/**
 * Case 7. The relay is killed (SIGKILL) in the middle of a batch and started again on the
 * same checkpoint: nothing is lost. Round 1's outcomes are published and checkpointed by a
 * relay that is then stopped; round 2's are committed with no relay running, so the next
 * relay reads them as one batch and is killed part way through it; a third relay resumes
 * after round 1's checkpoint and delivers round 2 again. Each relay is a process of its
 * own, publishing over HTTP to the local bus, as under `npm start`.
 */
const SEED = caseSeed(profile, 7);
const { killBefore, killAfter } = profile.outbox;
const RELAY_PROCESS = path.join(path.dirname(fileURLToPath(import.meta.url)), "support", "relay-process.ts");

describe(`reliability: outbox relay killed mid-batch (${profile.name})`, () => {
  let run: ReliabilityRun;
  let door: LocalBusDoor;
  let stateDir: string;
  const children = new Set<ChildProcess>();
  const rows: SummaryRow[] = [];

  beforeAll(async () => {
    run = await startReliabilityRun({
      name: "reliability-outbox-kill",
      dynamoEndpoint: inject("dynamoEndpoint"),
    });
    door = await startLocalBusDoor();
    stateDir = await mkdtemp(path.join(tmpdir(), "outbox-kill-"));
  });
  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    await door?.stop();
    await run?.stop();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
    if (rows.length > 0) printSummary(profile, SEED, rows);
  });

  /** Starts a relay process and resolves once it polls. */
  const startRelay = (): Promise<{ child: ChildProcess; exited: Promise<NodeJS.Signals | number | null> }> =>
    new Promise((resolve, reject) => {
      const child = fork(RELAY_PROCESS, [inject("dynamoEndpoint"), run.kit.tables.auditTable, stateDir], {
        execArgv: [],
        stdio: ["ignore", "pipe", "pipe", "ipc"],
        env: {
          PATH: process.env.PATH ?? "",
          EVENT_BUS_NAME: OUTBOX_TEST_BUS,
          EVENTBRIDGE_ENDPOINT: door.eventBridgeEndpoint,
          AWS_REGION: "us-east-1",
          AWS_ACCESS_KEY_ID: "local",
          AWS_SECRET_ACCESS_KEY: "local",
          LOG_LEVEL: "ERROR",
          POWERTOOLS_METRICS_DISABLED: "true",
        },
      });
      children.add(child);
      const exited = new Promise<NodeJS.Signals | number | null>((done) =>
        child.once("exit", (code, signal) => {
          children.delete(child);
          done(signal ?? code);
        }),
      );
      let output = "";
      child.stderr?.on("data", (chunk: Buffer) => {
        output += chunk.toString("utf8");
      });
      child.stdout?.on("data", (chunk: Buffer) => {
        output += chunk.toString("utf8");
        if (output.includes("relay ready")) resolve({ child, exited });
      });
      void exited.then((how) =>
        reject(new Error(`relay process ended (${how}) before it was ready:\n${output}`)),
      );
    });

  const commitOutcomes = async (count: number, label: string): Promise<string[]> => {
    const intents = Array.from({ length: count }, () => run.kit.newIntent("SUBMITTED", { prefix: label }));
    await mapLimit(intents, 8, async (id) => {
      const answer = await run.kit.http(
        run.signed({
          method: "POST",
          path: `/api/v1/intents/${id}/cancel`,
          headers: { "idempotency-key": randomUUID() },
          body: JSON.stringify({ reason: "relay kill case" }),
        }),
      );
      expect(answer.statusCode).toBe(200);
    });
    return intents;
  };

  const eventIdsOf = async (intents: string[]): Promise<string[]> => {
    const wanted = new Set(intents);
    return (await run.kit.announced())
      .filter((e) => wanted.has(e.detail.target.id))
      .map((e) => e.detail.eventId);
  };

  it(
    `round 1 (${killBefore}) checkpointed, round 2 (${killAfter}) killed mid-batch and resumed: every event published, round 1 once`,
    async () => {
      onTestFailed(() =>
        console.error(`relay kill failed: RELIABILITY_SEED=${profile.seed} (case seed ${SEED})`),
      );
      const startedAt = Date.now();
      // Prepare: round 1 published and checkpointed, then the relay stopped gracefully.
      const round1 = await commitOutcomes(killBefore, "kill_r1");
      const first = await startRelay();
      await waitForPublished(door, () => run.kit.announced(), 60_000);
      // A graceful stop lets the invocation in flight answer, and checkpoints it.
      first.child.kill("SIGTERM");
      expect(await first.exited).toBe(0);
      const round2 = await commitOutcomes(killAfter, "kill_r2");
      const round2Ids = new Set(await eventIdsOf(round2));
      const killAt = Math.max(1, Math.floor(killAfter / 3));

      // Act: the second relay takes round 2 as one batch and is killed after `killAt` of its events.
      let seenOfRound2 = 0;
      let killed: ChildProcess | undefined;
      door.onPublished(({ event }) => {
        if (!round2Ids.has((event.detail as { eventId: string }).eventId)) return;
        seenOfRound2 += 1;
        if (seenOfRound2 === killAt) killed?.kill("SIGKILL");
      });
      const second = await startRelay();
      killed = second.child;
      if (seenOfRound2 >= killAt) second.child.kill("SIGKILL");
      expect(await second.exited).toBe("SIGKILL");
      const publishedWhenKilled = seenOfRound2;
      const third = await startRelay();
      await waitForPublished(door, () => run.kit.announced(), 60_000);
      third.child.kill("SIGTERM");
      expect(await third.exited).toBe(0);

      // Assess
      const ids = door.publishedIds();
      const round1Ids = await eventIdsOf(round1);
      expect(round1Ids).toHaveLength(killBefore);
      expect(round2Ids.size).toBe(killAfter);
      expect(round1Ids.map((id) => ids.get(id))).toEqual(round1Ids.map(() => 1));
      expect([...round2Ids].filter((id) => !ids.has(id))).toEqual([]);
      // Killed mid-batch: some of round 2 published, not all, and those published again after the restart.
      expect(publishedWhenKilled).toBeGreaterThanOrEqual(killAt);
      expect(publishedWhenKilled).toBeLessThan(killAfter);
      const duplicated = [...round2Ids].filter((id) => (ids.get(id) ?? 0) > 1);
      expect(duplicated.length).toBeGreaterThanOrEqual(killAt);
      const copies = new Map<string, Set<string>>();
      for (const { event } of door.published()) {
        const id = (event.detail as { eventId: string }).eventId;
        copies.set(
          id,
          (copies.get(id) ?? new Set()).add(JSON.stringify([event["detail-type"], event.detail])),
        );
      }
      expect([...copies.values()].filter((set) => set.size > 1)).toEqual([]);
      rows.push({
        case: "7 relay killed mid-batch",
        requests: killBefore + killAfter,
        upstream: run.traffic.sent.length,
        effects: run.kit.procureCore.effects.total(),
        retries: duplicated.length,
        deadLetters: 0,
        durationMs: Date.now() - startedAt,
        notes:
          `round 1: ${killBefore} events published once (checkpoint kept across a stop); round 2: ${killAfter} events in one batch, ` +
          `relay SIGKILLed after ${publishedWhenKilled} of them were on the bus; the next relay resumed after round 1's checkpoint ` +
          `and published all ${killAfter} (${duplicated.length} twice, same ids); 0 lost`,
      });
    },
    profile.testTimeoutMs,
  );

  it("no unhandled rejection; logs clean", () => {
    assertCleanRun(run);
  });
});
