import { channel } from "node:diagnostics_channel";
import type { Context } from "aws-lambda";
import { afterEach, describe, expect, it } from "vitest";
import type { RunningFrontDoor } from "#local/stack/front-door.ts";
import { inProcessInvoker } from "#local/stack/lambda/in-process-invoker.ts";
import { physicalName } from "#local/stack/lambda/local-function.ts";
import { foundSomething, ScheduleRunner } from "#local/stack/schedule-runner.ts";
import { type ScheduledEvent, SWEEP_PROGRESS_CHANNEL } from "#local/stack/sweep-messages.ts";
import { declaredFunction, startTestFrontDoor } from "#test/support/local-front-door.ts";

type SweepHandler = (event: ScheduledEvent, context: Context) => Promise<unknown>;
const SWEEP = declaredFunction("expiry-sweep");
/** The sweep as local/stack/local-functions.ts declares it, run in this process by `handler`. */
const sweepRunner = (handler: SweepHandler) => new ScheduleRunner(inProcessInvoker(SWEEP, handler));

const progress = channel(SWEEP_PROGRESS_CHANNEL);

const readLines = async (response: Response): Promise<{ type: string; [key: string]: unknown }[]> =>
  (await response.text())
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line));

describe("POST /sweep", () => {
  let door: RunningFrontDoor | undefined;
  afterEach(async () => {
    await door?.close();
    door = undefined;
  });

  const start = async (handler: SweepHandler): Promise<RunningFrontDoor> => {
    door = await startTestFrontDoor({ sweep: handler });
    return door;
  };

  it("streams the handler's progress as NDJSON, then its summary", async () => {
    // Prepare
    const events: ScheduledEvent[] = [];
    let remaining = 0;
    const { url } = await start(async (event, context) => {
      events.push(event);
      remaining = context.getRemainingTimeInMillis();
      progress.publish({ scanned: 2, cancelled: 1 });
      progress.publish({ scanned: 2, cancelled: 2 });
      return { scanned: 2, cancelled: 2 };
    });

    // Act
    const response = await fetch(`${url}/sweep`, { method: "POST" });

    // Assess
    expect(response.headers.get("content-type")).toBe("application/x-ndjson");
    expect(await readLines(response)).toEqual([
      { type: "progress", progress: { scanned: 2, cancelled: 1 } },
      { type: "progress", progress: { scanned: 2, cancelled: 2 } },
      { type: "summary", summary: { scanned: 2, cancelled: 2 } },
    ]);
    expect(events[0]?.["detail-type"]).toBe("Scheduled Event");
    expect(events[0]?.dryRun).toBeUndefined();
    expect(remaining).toBeGreaterThan(SWEEP.timeoutSeconds * 1000 - 2_000);
    expect(events[0]?.resources).toEqual([
      `arn:aws:scheduler:us-east-1:000000000000:schedule/default/${physicalName(SWEEP)}`,
    ]);
  });

  it("passes a dry run to the handler as event.dryRun", async () => {
    const events: ScheduledEvent[] = [];
    const { url } = await start(async (event) => {
      events.push(event);
      return { dryRun: event.dryRun === true };
    });

    const lines = await readLines(await fetch(`${url}/sweep`, { method: "POST", body: '{"dryRun":true}' }));

    expect(events[0]?.dryRun).toBe(true);
    expect(lines.at(-1)).toEqual({ type: "summary", summary: { dryRun: true } });
  });

  it("ends the stream with an error line when the handler throws", async () => {
    const { url } = await start(async () => {
      throw new Error("Procure-Core unavailable");
    });

    const lines = await readLines(await fetch(`${url}/sweep`, { method: "POST" }));

    expect(lines).toEqual([{ type: "error", error: "Error: Procure-Core unavailable" }]);
  });

  it("refuses a body that is not {dryRun}", async () => {
    const { url } = await start(async () => ({}));

    const response = await fetch(`${url}/sweep`, { method: "POST", body: '{"dryRun":"yes"}' });

    expect(response.status).toBe(400);
  });
});

describe("ScheduleRunner", () => {
  it("runs one sweep at a time and tells a caller that it waits", async () => {
    // Prepare
    let release: () => void = () => {};
    let running = 0;
    let maxRunning = 0;
    const runner = sweepRunner(async () => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      running -= 1;
      return {};
    });
    const lines: string[] = [];

    // Act
    const first = runner.run({ dryRun: false });
    const second = runner.run({ dryRun: true, onLine: (line) => lines.push(line.type) });
    await new Promise((resolve) => setTimeout(resolve, 10));
    release();
    await new Promise((resolve) => setTimeout(resolve, 10));
    release();
    const results = await Promise.all([first, second]);

    // Assess
    expect(maxRunning).toBe(1);
    expect(lines).toEqual(["waiting"]);
    expect(results).toEqual([
      { ok: true, summary: {} },
      { ok: true, summary: {} },
    ]);
    expect(runner.busy).toBe(false);
  });

  it("only forwards progress published while its own run is in progress", async () => {
    const runner = sweepRunner(async () => {
      progress.publish({ scanned: 1 });
      return {};
    });
    const seen: unknown[] = [];

    await runner.run({ dryRun: false, onLine: (line) => seen.push(line) });
    progress.publish({ scanned: 99 });

    expect(seen).toEqual([{ type: "progress", progress: { scanned: 1 } }]);
  });
});

describe("foundSomething", () => {
  it("ignores durations and zero counts", () => {
    expect(foundSomething({ scanned: 0, cancelled: 0, durationMs: 40, confirm: { checked: 0 } })).toBe(false);
    expect(foundSomething({ scanned: 0, confirm: { confirmed: 1 } })).toBe(true);
    expect(foundSomething({ scanned: 0, listError: "timeout" })).toBe(true);
  });
});
