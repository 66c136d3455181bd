/**
 * A local function's container: a worker thread (lambda-worker.ts) with what Lambda gives the
 * function's execution environment (the service's and the function's own variables, Lambda's
 * runtime variables, a log stream name), its heap bounded by the function's memory setting, and
 * its output captured or left on this process's. The pool that starts, reuses and discards
 * containers is function-pool.ts.
 */
import { randomUUID } from "node:crypto";
import { Worker } from "node:worker_threads";
import { type LocalFunctionSpec, lambdaRuntimeEnvironment, physicalName } from "./local-function.ts";
import type { WorkerSetup } from "./worker-protocol.ts";

const WORKER_FILE = new URL("./lambda-worker.ts", import.meta.url);

/** Where a container's stdout/stderr go. */
export type ContainerOutput = (chunk: Buffer, stream: "stdout" | "stderr") => void;

/** Starts a new container's worker thread (its module not loaded yet: that is the cold start). */
export const startContainerWorker = (
  spec: LocalFunctionSpec,
  setup: Omit<WorkerSetup, "logStreamName">,
  serviceEnv: Record<string, string>,
  output: ContainerOutput | undefined,
): Worker => {
  const logStreamName = `local/[$LATEST]${randomUUID().replaceAll("-", "")}`;
  const capture = output !== undefined;
  const worker = new Worker(WORKER_FILE, {
    workerData: { ...setup, logStreamName } satisfies WorkerSetup,
    env: {
      ...serviceEnv,
      ...spec.env,
      ...lambdaRuntimeEnvironment(spec, logStreamName),
    },
    // Lambda's memory setting bounds the heap; over it, the container dies (Runtime.OutOfMemory).
    resourceLimits: { maxOldGenerationSizeMb: spec.memoryMb },
    stdout: capture,
    stderr: capture,
    name: physicalName(spec),
  });
  if (output !== undefined) {
    worker.stdout.on("data", (chunk: Buffer) => output(chunk, "stdout"));
    worker.stderr.on("data", (chunk: Buffer) => output(chunk, "stderr"));
  }
  return worker;
};
