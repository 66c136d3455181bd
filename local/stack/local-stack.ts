/**
 * The local platform around the service's functions, built from the table in local/stack/local-functions.ts:
 * each function in its own pool of containers (lambda/function-pool.ts), wired to its trigger
 * as deployed — the HTTP API on the front door, an SQS work queue with its event source
 * mapping (and the bus rule that feeds it), a schedule with an on-demand route, or a DynamoDB
 * stream. The front door also serves the local EventBridge and SQS endpoints the functions'
 * own SDK clients use.
 */
import { type RunningFrontDoor, startFrontDoor } from "./front-door.ts";
import { FunctionPool, type FunctionPoolOptions } from "./lambda/function-pool.ts";
import type { Invoker } from "./lambda/invoker.ts";
import type { LocalFunctionSpec } from "./lambda/local-function.ts";
import { type BusRule, LocalEventBus } from "./local-event-bus.ts";
import { ScheduleRunner, startScheduleTimer } from "./schedule-runner.ts";
import { loopbackUrl } from "./settings.ts";
import { LocalSqs } from "./sqs/local-sqs.ts";
import { SqsEventSource } from "./sqs/sqs-event-source.ts";

/** The SQS endpoint's path on the front door (any path works; this one names it in URLs). */
export const SQS_PATH = "/__aws/sqs";

/** Starts a DynamoDB stream poller feeding `invoke` (local/stack/dynamo-stream-source.ts). */
export type StreamSourceStarter = (options: {
  table: "idempotency" | "audit";
  invoke: (event: unknown) => Promise<unknown>;
}) => Promise<{ close(): Promise<void> | void; failures(): readonly unknown[] }>;

export interface LocalStackOptions {
  /** The front door's port (HTTP API, `/events`, schedules, EventBridge and SQS endpoints). */
  httpPort: number;
  functions: readonly LocalFunctionSpec[];
  /** What every function's containers get (service-env.ts: the local endpoints, region, credentials); each spec's own `env` goes on top. */
  serviceEnv: Record<string, string>;
  /** The repository root the handler strings are relative to. */
  root: string;
  log: (line: string) => void;
  /** Containers' stdout/stderr; default this process's. */
  output?: FunctionPoolOptions["output"];
  logRequests?: boolean;
  /** Whether a scheduled run that did something is logged (its summary); failed runs always are. Default true. */
  logRuns?: boolean;
  /** How a function is run; default a pool of worker threads. Tests may run it in-process. */
  createInvoker?: (spec: LocalFunctionSpec, options: FunctionPoolOptions) => Invoker;
  startStreamSource?: StreamSourceStarter;
}

export interface RunningLocalStack {
  url: string;
  sqs: LocalSqs;
  bus: LocalEventBus;
  invokers: ReadonlyMap<string, Invoker>;
  eventSources: ReadonlyMap<string, SqsEventSource>;
  schedules: ReadonlyMap<string, ScheduleRunner>;
  /** Stops triggers first (no new invocations), then the functions, then the front door. */
  close(): Promise<void>;
}

export const startLocalStack = async (options: LocalStackOptions): Promise<RunningLocalStack> => {
  const url = loopbackUrl(options.httpPort);
  const sqs = new LocalSqs({ endpoint: `${url}${SQS_PATH}` });
  const closers: (() => Promise<void> | void)[] = [];
  const stop = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        options.log(`[local] could not stop a part of the stack: ${String(error)}`);
      }
    }
  };

  try {
    const invokers = new Map<string, Invoker>();
    const eventSources = new Map<string, SqsEventSource>();
    const schedules = new Map<string, ScheduleRunner>();
    const rules: BusRule[] = [];
    const routes: Record<string, ScheduleRunner> = {};
    const starters: (() => Promise<void> | void)[] = [];
    const streamFailures: (() => readonly unknown[])[] = [];
    const poolOptions: FunctionPoolOptions = {
      root: options.root,
      serviceEnv: options.serviceEnv,
      ...(options.output ? { output: options.output } : {}),
    };
    const createInvoker =
      options.createInvoker ??
      ((spec: LocalFunctionSpec, pool: FunctionPoolOptions) => new FunctionPool(spec, pool));

    // Every work queue first: a function may send to another's (`sends`).
    for (const { trigger } of options.functions) {
      if (trigger.kind !== "sqs") continue;
      sqs.create({
        name: trigger.queue,
        settings: { visibilityTimeoutSeconds: trigger.visibilityTimeoutSeconds },
        deadLetter: { queue: trigger.deadLetterQueue, maxReceiveCount: trigger.maxReceiveCount },
      });
    }
    for (const declared of options.functions) {
      let spec = declared;
      const { trigger } = spec;
      if (spec.sends && spec.sends.length > 0) {
        spec = {
          ...spec,
          env: {
            ...spec.env,
            SQS_ENDPOINT: `${url}${SQS_PATH}`,
            ...Object.fromEntries(spec.sends.map(({ queue, variable }) => [variable, sqs.byName(queue).url])),
          },
        };
      }
      if (trigger.kind === "sqs") {
        const queue = sqs.byName(trigger.queue);
        spec = {
          ...spec,
          env: {
            ...spec.env,
            SQS_ENDPOINT: `${url}${SQS_PATH}`,
            ...(trigger.queueUrlVariable ? { [trigger.queueUrlVariable]: queue.url } : {}),
            ...(trigger.deadLetterQueueUrlVariable
              ? { [trigger.deadLetterQueueUrlVariable]: sqs.byName(trigger.deadLetterQueue).url }
              : {}),
          },
        };
        if (trigger.busRule) {
          rules.push({
            name: `${spec.name}-rule`,
            detailType: trigger.busRule,
            target: (event) => void queue.send({ body: JSON.stringify(event) }),
          });
        }
      }
      const invoker = createInvoker(spec, poolOptions);
      invokers.set(spec.name, invoker);
      closers.push(() => invoker.close());

      if (trigger.kind === "sqs") {
        const source = new SqsEventSource({
          queue: sqs.byName(trigger.queue),
          settings: trigger.mapping,
          invoke: (event) => invoker.invoke(event),
          onError: (error) => options.log(`[${spec.name}] event source mapping: ${String(error)}`),
          onBatch: (settlement, size, result) => {
            // Lambda logs a failed invocation in the function's log; partial failures are the function's to log.
            if (!result.ok)
              options.log(
                `[${spec.name}] invocation failed, ${size} message(s) return after the visibility timeout: ${String(result.error)}`,
              );
            else if (settlement.wholeBatchFailed)
              options.log(`[${spec.name}] invalid batch response: the whole batch of ${size} failed`);
          },
        });
        eventSources.set(spec.name, source);
        starters.push(() => source.start());
        closers.push(() => source.stop());
      } else if (trigger.kind === "schedule") {
        const runner = new ScheduleRunner(invoker);
        schedules.set(spec.name, runner);
        routes[trigger.route] = runner;
        starters.push(() => {
          closers.push(startScheduleTimer(runner, trigger.everyMs, options.log, options.logRuns));
        });
      } else if (trigger.kind === "dynamodb-stream") {
        const startStream = options.startStreamSource;
        if (!startStream) {
          throw new Error(
            `${spec.name}: a dynamodb-stream trigger needs startStreamSource (local/stack/dynamo-stream-source.ts)`,
          );
        }
        starters.push(async () => {
          const source = await startStream({
            table: trigger.table,
            invoke: (event) => invoker.invoke(event),
          });
          closers.push(() => source.close());
          streamFailures.push(() => source.failures());
        });
      }
    }

    const http = options.functions.filter((spec) => spec.trigger.kind === "http");
    if (http.length !== 1)
      throw new Error(`exactly one function must have the http trigger (got ${http.length})`);
    // The one bus infra creates, named as the functions that publish are told (EVENT_BUS_NAME, in
    // their own environment or the service's); `default` exists anyway.
    const busNames = [options.serviceEnv, ...options.functions.map((spec) => spec.env ?? {})].map(
      (env) => env.EVENT_BUS_NAME ?? "",
    );
    const bus = new LocalEventBus({ rules, busNames: [...new Set(busNames.filter(Boolean))] });
    closers.push(() => bus.close());
    const frontDoor: RunningFrontDoor = await startFrontDoor(options.httpPort, {
      http: invokers.get(http[0]?.name ?? "") as Invoker,
      bus,
      sqs,
      schedules: routes,
      functions: [...invokers.values()],
      relayFailures: () => streamFailures.flatMap((failures) => failures()),
      log: options.log,
      ...(options.logRequests === undefined ? {} : { logRequests: options.logRequests }),
    });
    // Stopped last: functions still finishing may publish or put messages back through it.
    closers.unshift(
      () => frontDoor.close(),
      () => sqs.close(),
    );
    for (const start of starters) await start();

    return { url: frontDoor.url, sqs, bus, invokers, eventSources, schedules, close: stop };
  } catch (error) {
    await stop();
    throw error;
  }
};
