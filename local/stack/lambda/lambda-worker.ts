/**
 * One local Lambda container: a worker thread with its own module graph (so its own
 * composition-root container, logger, metrics, cached secrets and connections), which loads
 * the handler once (the cold start) and then serves one invocation at a time, as a Lambda
 * execution environment does. Started by function-pool.ts; its `process.env` is exactly the
 * function's environment plus Lambda's runtime variables.
 */
import { subscribe } from "node:diagnostics_channel";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { parentPort, workerData } from "node:worker_threads";
import type { Context } from "aws-lambda";
import { createLambdaContext } from "../lambda-context.ts";
import { type FromWorker, type ToWorker, toInvocationError, type WorkerSetup } from "./worker-protocol.ts";

type Handler = (event: unknown, context: Context) => Promise<unknown>;

const setup = workerData as WorkerSetup;
const port = parentPort;
if (!port) throw new Error("lambda-worker.ts runs as a worker thread of a function pool");
const post = (message: FromWorker): void => port.postMessage(message);

let current: number | undefined;
for (const name of setup.channels) {
  subscribe(name, (message) => {
    if (current !== undefined) post({ type: "channel", id: current, name, message });
  });
}

const startedAt = performance.now();
let handler: Handler;
try {
  const module = (await import(pathToFileURL(setup.file).href)) as Record<string, unknown>;
  const exported = module[setup.exportName];
  if (typeof exported !== "function") {
    throw new Error(`${setup.file} has no exported function "${setup.exportName}"`);
  }
  handler = exported as Handler;
  post({ type: "ready", initMs: Math.round(performance.now() - startedAt) });
} catch (error) {
  post({ type: "init-failed", error: toInvocationError(error) });
  // Exit, not rethrow: Node sends a worker's uncaught error on its internal port, which can
  // overtake the report above; an exit is heard only after the messages posted before it.
  process.exit(1);
}

port.on("message", (message: ToWorker) => {
  if (message.type !== "invoke") return;
  current = message.id;
  const context = createLambdaContext(setup.identity, {
    awsRequestId: message.awsRequestId,
    deadline: message.deadline,
    logStreamName: setup.logStreamName,
  });
  const id = message.id;
  Promise.resolve()
    .then(() => handler(message.event, context))
    // Lambda hands the caller the result as JSON: `undefined` becomes null, a class instance a plain object.
    .then((value) => JSON.parse(JSON.stringify(value ?? null)) as unknown)
    .then(
      (value) => post({ type: "result", id, ok: true, value }),
      (error: unknown) => post({ type: "result", id, ok: false, error: toInvocationError(error) }),
    )
    .finally(() => {
      if (current === id) current = undefined;
    });
});
