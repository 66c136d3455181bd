/**
 * The table of functions `npm start` runs (local/start.ts), read from the function manifest
 * (functions/manifest/function-manifest.ts): each function's handler, timeout, memory,
 * containers and trigger as the local stack runs them (lambda/local-function.ts), the queues
 * of other functions it sends to, and CANCEL_LOCAL_WORKERS over the container counts. Adding a
 * function to the manifest runs it here too.
 */
import { FUNCTION_LIST, type FunctionName } from "#manifest/function-manifest.ts";
import {
  environmentOf,
  localNameOf,
  queueUrlVariable,
  triggerQueuesOf,
} from "#manifest/function-resources.ts";
import type { FunctionDefinition } from "#manifest/manifest-types.ts";
import type { LocalFunctionSpec, LocalTrigger } from "./lambda/local-function.ts";
import { type LocalSettings, SettingsError } from "./settings.ts";
import { SWEEP_PROGRESS_CHANNEL } from "./sweep-messages.ts";

/** Local timers that differ from the deployed schedule, by the schedule's local route. */
const localIntervalsMs = (settings: LocalSettings): Record<string, number> => ({
  "/sweep": settings.sweepIntervalMs,
  "/continuation": settings.continuationIntervalMs,
});

/** Diagnostics channels a local function's containers forward to the invoker (`POST /sweep` streams them). */
const LOCAL_CHANNELS: Partial<Record<FunctionName, readonly string[]>> = {
  ExpirySweep: [SWEEP_PROGRESS_CHANNEL],
};

/** The trigger of a manifest entry, as the local stack runs it. */
const localTriggerOf = (fn: FunctionDefinition, settings: LocalSettings): LocalTrigger => {
  const { trigger } = fn;
  const name = localNameOf(fn);
  switch (trigger.kind) {
    case "http":
      return { kind: "http" };
    case "work-queue": {
      const { work = `${fn.name}Queue`, failures = `${fn.name}Failures` } = triggerQueuesOf(fn);
      return {
        kind: "sqs",
        busRule: trigger.detailType,
        queue: `cancellation-local-${name}`,
        deadLetterQueue: `cancellation-local-${name}-failures`,
        // Given only to a function whose code sends to its own queue (as deployed).
        ...(queueUrlVariable(work) in environmentOf(fn) ? { queueUrlVariable: queueUrlVariable(work) } : {}),
        // Given only to a function whose code dead-letters messages itself (as deployed).
        ...(queueUrlVariable(failures) in environmentOf(fn)
          ? { deadLetterQueueUrlVariable: queueUrlVariable(failures) }
          : {}),
        visibilityTimeoutSeconds: settings.queueVisibilitySeconds ?? trigger.visibilityTimeoutSeconds,
        maxReceiveCount: trigger.maxReceiveCount,
        mapping: trigger.mapping,
      };
    }
    case "schedule":
      return {
        kind: "schedule",
        everyMs: localIntervalsMs(settings)[trigger.localRoute] ?? periodMsOf(trigger.schedule),
        route: trigger.localRoute,
      };
    case "dynamodb-stream":
      return { kind: "dynamodb-stream", table: trigger.table };
  }
};

/** The local queue of each queue a work-queue trigger owns, by its logical name. */
const LOCAL_QUEUES: ReadonlyMap<string, string> = new Map(
  FUNCTION_LIST.flatMap((fn) => {
    if (fn.trigger.kind !== "work-queue") return [];
    const { work = "", failures = "" } = triggerQueuesOf(fn);
    const name = localNameOf(fn);
    return [
      [work, `cancellation-local-${name}`],
      [failures, `cancellation-local-${name}-failures`],
    ] as [string, string][];
  }),
);

/** The queues of other functions a function's code sends to, with the variable each URL goes in. */
const sendsOf = (fn: FunctionDefinition): { queue: string; variable: string }[] => {
  const own = new Set(Object.values(triggerQueuesOf(fn)));
  return fn.permissions.flatMap(({ resource, actions }) => {
    if (resource.kind !== "queue" || own.has(resource.queue) || !actions.includes("sqs:SendMessage"))
      return [];
    const queue = LOCAL_QUEUES.get(resource.queue);
    if (queue === undefined)
      throw new Error(`${fn.name} sends to ${resource.queue}, which no local trigger owns`);
    return [{ queue, variable: queueUrlVariable(resource.queue) }];
  });
};

/** `rate(15 minutes)` in milliseconds. */
const periodMsOf = (schedule: string): number => {
  const [, count = "0", unit = ""] = /^rate\((\d+) (minute|hour)s?\)$/.exec(schedule) ?? [];
  return Number(count) * (unit === "hour" ? 3_600_000 : 60_000);
};

/**
 * Containers an HTTP function may grow to. Deployed, the API's function has no reserved
 * concurrency: Lambda adds a container whenever every warm one is busy. Capped at the
 * manifest's count, the local API queued requests behind four containers: at 20 cancels/s
 * beside a bulk job, answers waited 18-31 s (docs/bulk-cancellations.md). Containers are
 * still created only when every one is busy, so a quiet stack runs one or two; the ceiling
 * bounds memory (a container is a worker thread with its own heap, about 60-80 MB).
 */
export const HTTP_CONTAINER_CEILING = 16;

/** The manifest's concurrency, or for a function behind API Gateway, what Lambda would scale it to here. */
const containersOf = (fn: FunctionDefinition): number =>
  fn.trigger.kind === "http" ? Math.max(fn.concurrency, HTTP_CONTAINER_CEILING) : fn.concurrency;

/**
 * Every function of the service, from the function manifest (functions/manifest): handler,
 * timeout, memory and trigger as infra/ deploys them. `workers` is the most containers it
 * may have at once (its concurrency); CANCEL_LOCAL_WORKERS overrides it per function.
 */
export const localFunctions = (settings: LocalSettings): LocalFunctionSpec[] =>
  applyWorkerCounts(
    settings,
    FUNCTION_LIST.map((fn) => {
      const channels = LOCAL_CHANNELS[fn.name as FunctionName];
      const sends = sendsOf(fn);
      return {
        name: localNameOf(fn),
        handler: fn.handler,
        timeoutSeconds: fn.timeoutSeconds,
        memoryMb: fn.memoryMb,
        workers: containersOf(fn),
        ...(channels ? { channels } : {}),
        ...(sends.length > 0 ? { sends } : {}),
        trigger: localTriggerOf(fn, settings),
      };
    }),
  );

/** CANCEL_LOCAL_WORKERS over the table's counts; a name that is not in the table is an error. */
const applyWorkerCounts = (settings: LocalSettings, functions: LocalFunctionSpec[]): LocalFunctionSpec[] => {
  const unknown = Object.keys(settings.workers).filter((name) => !functions.some((fn) => fn.name === name));
  if (unknown.length > 0) {
    throw new SettingsError(
      `CANCEL_LOCAL_WORKERS names no such function: ${unknown.join(", ")} (functions: ${functions.map((fn) => fn.name).join(", ")})`,
    );
  }
  return functions.map((fn) => ({ ...fn, workers: settings.workers[fn.name] ?? fn.workers }));
};
