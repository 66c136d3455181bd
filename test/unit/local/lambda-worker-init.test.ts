/**
 * A container whose handler cannot be loaded: its report must reach the pool before the
 * container is gone. Node delivers a worker's uncaught error on its internal port, which does
 * not wait for the messages the worker posted before it; an exit does (the public port is
 * drained before `exit` is emitted). So the container reports `init-failed` and exits, and the
 * pool answers with that report, never with the exit.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import type { WorkerSetup } from "#local/stack/lambda/worker-protocol.ts";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const WORKER_FILE = path.join(REPO, "local", "stack", "lambda", "lambda-worker.ts");

describe("a container whose handler cannot be loaded", () => {
  it("reports init-failed, then exits with status 1, without an uncaught error racing the report", async () => {
    const setup: WorkerSetup = {
      file: path.join(REPO, "test", "fixtures", "lambda", "probe-handlers.ts"),
      exportName: "missing",
      identity: { functionName: "probe", memoryMb: 256, timeoutMs: 5_000 },
      logStreamName: "local/[$LATEST]test",
      channels: [],
    };
    const worker = new Worker(WORKER_FILE, { workerData: setup, stdout: true, stderr: true });
    const seen: string[] = [];
    worker.on("message", (message: { type: string }) => seen.push(`message ${message.type}`));
    worker.on("error", (error) => seen.push(`error ${error.message}`));
    const code = await new Promise<number>((resolve) => worker.on("exit", resolve));

    expect(seen).toEqual(["message init-failed"]);
    expect(code).toBe(1);
  });
});
