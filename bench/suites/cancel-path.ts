/**
 * Suite 1 — what the service adds to one cancel. The same fresh SUBMITTED intents are
 * cancelled two ways, interleaved in one run against the same Procure-Core sandbox (no
 * injected latency):
 *
 * - through the exported HTTP handler: signature check with cached client secrets,
 *   idempotency and audit on DynamoDB Local (the audit record is the outcome event's outbox
 *   item), the Procure-Core call, logs and metrics as deployed; no event publish (the outbox
 *   relay does that from the stream: every PutEvents call is counted, target 0);
 * - directly with `ProcureCoreClient.cancelIntent` (same retry settings, same sandbox).
 *
 * Overhead = handler − direct. DynamoDB round trips are counted per cancel on the
 * container's client (target 3: begin, the shared upstream budget's slot, complete — the
 * slot is what keeps every container under the upstream's limit; its cost is the
 * UpdateItem line below, and suite 6), then every handled cancel is replayed with its
 * Idempotency-Key (target 1 round trip, `Idempotent-Replayed: true`: no upstream call, no slot).
 */
import { randomUUID } from "node:crypto";
import { DEMO_APP_ID } from "#local/sandboxes/procure-core/demo-intents.ts";
import { startBenchService } from "../support/bench-service.ts";
import { cancelDirectly, cancelThroughHandler, type HandledCancel } from "../support/cancel-ways.ts";
import { timeCommands } from "../support/command-timer.ts";
import { histogram, median, summarize } from "../support/stats.ts";
import { atMost, exactly, figure, type SuiteRun } from "../support/suite.ts";
import { writeControlFigures } from "../support/write-control-figures.ts";
import { measureWriteControls } from "../support/write-controls.ts";

/** Sequential warm-up cancels each way, after the concurrent ones below. */
const WARMUP = 150;
/** DynamoDB Local's JVM keeps getting faster for a while: warm it with concurrent cancels first. */
const CONCURRENT_WARMUP = 800;
const WARMUP_CONCURRENCY = 8;
const ROUNDS = 3;
const PER_ROUND = 200;
/** Turns of the write controls (bench/support/write-controls.ts), each of its six commands once. */
const CONTROL_ROUNDS = 600;

export const run: SuiteRun = async ({ progress }) => {
  const service = await startBenchService("bench-cancel-path");
  try {
    // ~1,500 handled cancels within a couple of minutes: a Procure-Core budget above that pace,
    // in DynamoDB: 10,000 a minute (the largest the configuration accepts), so that the budget
    // never refuses this pace. A take costs one write unit at any limit (ADR 0008; suites 7, 8).
    await service.useContainer({
      change: (config) => ({
        ...config,
        budget: { ...config.budget, perMinute: { ...config.budget.perMinute, "procure-core": 10_000 } },
      }),
    });
    const { kit } = service;
    const total = WARMUP + ROUNDS * PER_ROUND;
    const handlerIds = kit.procureCore.intents.generateExpired(total, {
      appId: DEMO_APP_ID,
      prefix: "cp_handler_",
    });
    const directIds = kit.procureCore.intents.generateExpired(total, {
      appId: DEMO_APP_ID,
      prefix: "cp_direct_",
    });
    const viaHandler = cancelThroughHandler(kit);
    const viaClient = cancelDirectly(kit, service.container.config);

    progress(
      `warm-up: ${CONCURRENT_WARMUP} handler cancels ${WARMUP_CONCURRENCY} at a time, then ${WARMUP} each way in turn`,
    );
    const warmupIds = kit.procureCore.intents.generateExpired(CONCURRENT_WARMUP, {
      appId: DEMO_APP_ID,
      prefix: "cp_warmup_",
    });
    let cursor = 0;
    await Promise.all(
      Array.from({ length: WARMUP_CONCURRENCY }, async () => {
        while (cursor < warmupIds.length) await viaHandler(warmupIds[cursor++] ?? "", randomUUID());
      }),
    );
    for (let i = 0; i < WARMUP; i++) {
      await viaHandler(handlerIds[i] ?? "", randomUUID());
      await viaClient(directIds[i] ?? "");
    }

    const dynamoTimer = timeCommands(kit.dynamo);
    const putEventsBefore = service.putEventsCalls();
    const handled: HandledCancel[] = [];
    const directMs: number[] = [];
    let directFailures = 0;
    const rounds: { handlerP50: number; directP50: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const roundHandler: number[] = [];
      const roundDirect: number[] = [];
      for (let i = 0; i < PER_ROUND; i++) {
        const index = WARMUP + round * PER_ROUND + i;
        const handlerId = handlerIds[index] ?? "";
        const directId = directIds[index] ?? "";
        // Alternate which goes first, so neither always runs on a warmer cache.
        const first = i % 2 === 0;
        const direct1 = first ? undefined : await viaClient(directId);
        const one = await viaHandler(handlerId, randomUUID());
        const direct2 = first ? await viaClient(directId) : undefined;
        const directOne = direct1 ?? direct2;
        handled.push(one);
        roundHandler.push(one.ms);
        if (directOne) {
          directMs.push(directOne.ms);
          roundDirect.push(directOne.ms);
          if (!directOne.ok) directFailures++;
        }
      }
      rounds.push({ handlerP50: median(roundHandler), directP50: median(roundDirect) });
      progress(
        `round ${round + 1}/${ROUNDS}: handler p50 ${median(roundHandler).toFixed(2)} ms, direct p50 ${median(roundDirect).toFixed(2)} ms`,
      );
    }

    // Where the handler's time goes: each SDK command, serialisation to parsing.
    const commandMs = Object.fromEntries(
      Object.entries(dynamoTimer.samples()).map(([command, samples]) => [command, summarize(samples)]),
    );
    dynamoTimer.reset();
    progress(`replaying the ${handled.length} handled cancels with their Idempotency-Keys`);
    const replayMs: number[] = [];
    const replayRoundTrips: number[] = [];
    let replayFailures = 0;
    for (const earlier of handled) {
      const replay = await viaHandler(earlier.intentId, earlier.key);
      replayMs.push(replay.ms);
      replayRoundTrips.push(replay.roundTrips);
      if (!replay.ok || !replay.replayed) replayFailures++;
    }

    const replayCommandMs = Object.fromEntries(
      Object.entries(dynamoTimer.samples()).map(([command, samples]) => [command, summarize(samples)]),
    );
    dynamoTimer.detach();
    progress(
      `write controls: ${CONTROL_ROUNDS} turns of a begin-shaped PutItem, two bare UpdateItems and the take's step three ways`,
    );
    const controls = await measureWriteControls(kit.dynamo, kit.tables.idempotencyTable, CONTROL_ROUNDS);
    const takeOverBegin =
      (commandMs.UpdateItemCommand?.p50 ?? Number.NaN) / (commandMs.PutItemCommand?.p50 ?? Number.NaN);
    const controlFigures = writeControlFigures(controls, takeOverBegin);
    const putEventsOnCancelPath = service.putEventsCalls() - putEventsBefore;
    const handlerMs = handled.map((one) => one.ms);
    const handlerSummary = summarize(handlerMs);
    const directSummary = summarize(directMs);
    const happyTrips = handled.map((one) => one.roundTrips);
    const handlerFailures = handled.filter((one) => !one.ok).length;
    const effects = handled.reduce((sum, one) => sum + kit.procureCore.effects.count(one.intentId), 0);
    const allThree = happyTrips.every((trips) => trips === 3);
    const allOne = replayRoundTrips.every((trips) => trips === 1);

    return {
      metrics: [
        figure("cancels measured (each way)", handled.length, "", 0),
        figure("handler cancel p50", handlerSummary.p50, "ms", 2),
        figure("handler cancel p99", handlerSummary.p99, "ms", 2),
        figure("direct ProcureCoreClient.cancelIntent p50", directSummary.p50, "ms", 2),
        figure("direct ProcureCoreClient.cancelIntent p99", directSummary.p99, "ms", 2),
        figure("overhead p50 (handler − direct)", handlerSummary.p50 - directSummary.p50, "ms", 2),
        figure("overhead p99 (handler − direct)", handlerSummary.p99 - directSummary.p99, "ms", 2),
        {
          ...exactly("DynamoDB round trips per cancel (begin, budget slot, complete)", median(happyTrips), 3),
          met: allThree,
          value: allThree ? 3 : JSON.stringify(histogram(happyTrips)),
        },
        {
          ...exactly("DynamoDB round trips per replay", median(replayRoundTrips), 1),
          met: allOne,
          value: allOne ? 1 : JSON.stringify(histogram(replayRoundTrips)),
        },
        exactly("PutEvents calls on the cancel path (cancels and replays)", putEventsOnCancelPath, 0),
        figure("replay p50", median(replayMs), "ms", 2),
        ...Object.entries(commandMs).map(([command, summary]) =>
          figure(`  of which ${command} p50 (in handler)`, summary.p50, "ms", 2),
        ),
        // The take is the cancel path's one UpdateItem, `begin` its one PutItem (issue 21: the take no slower).
        atMost("budget take (UpdateItem) p50 / begin (PutItem) p50, same run", takeOverBegin, 1, "", 2),
        ...controlFigures.metrics,
        exactly(
          "failed cancels (handler + direct + replay)",
          handlerFailures + directFailures + replayFailures,
          0,
        ),
        exactly("upstream effects per handled cancel − 1", effects - handled.length, 0),
      ],
      details: {
        warmup: { concurrent: CONCURRENT_WARMUP, concurrency: WARMUP_CONCURRENCY, sequentialEachWay: WARMUP },
        rounds: ROUNDS,
        perRound: PER_ROUND,
        sandboxLatencyMs: 0,
        handlerMs: handlerSummary,
        directMs: directSummary,
        replayMs: summarize(replayMs),
        roundMediansMs: rounds,
        sdkCommandMs: commandMs,
        writeControls: controls,
        replaySdkCommandMs: replayCommandMs,
        roundTripsPerCancel: histogram(happyTrips),
        roundTripsPerReplay: histogram(replayRoundTrips),
        failures: { handler: handlerFailures, direct: directFailures, replay: replayFailures },
        observability: "logs at INFO and EMF metrics to stdout (discarded); no PutEvents on the cancel path",
        putEventsOnCancelPath,
      },
      notes: [controlFigures.note],
    };
  } finally {
    await service.close();
  }
};
