/**
 * The outbox as `npm start` runs it, for tests and the bench: the local event source
 * mapping on the audit table's stream (local/stack/dynamo-stream-source.ts) invoking the
 * exported relay handler, whose EventBridge client publishes to the local bus through the
 * front door's EventBridge endpoint. What reached the bus is read back from the bus. The
 * relay's client allows only what the function manifest grants the relay (role-guard.ts).
 */
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { Context, DynamoDBStreamEvent } from "aws-lambda";
import type { OutcomeEvent } from "#core/ports.ts";
import { freePort } from "#local/free-port.ts";
import type { DynamoStreamSourceOptions } from "#local/stack/dynamo-stream-source.ts";
import { type RunningFrontDoor, startFrontDoor } from "#local/stack/front-door.ts";
import { inProcessInvoker } from "#local/stack/lambda/in-process-invoker.ts";
import { LocalEventBus } from "#local/stack/local-event-bus.ts";
import { EVENTBRIDGE_PATH } from "#local/stack/put-events-endpoint.ts";
import type { BusEvent } from "#local/stack/put-events-request.ts";
import { LocalSqs } from "#local/stack/sqs/local-sqs.ts";
import { startDynamoStreamSource } from "#local/stack/start-dynamo-stream-source.ts";
import type { LocalFailureQueue } from "#local/stack/stream-failure-queue.ts";
import { declaredFunction } from "#test/support/local-front-door.ts";
import { getLogger, getMetrics } from "#wiring/observability.ts";
import { buildRelayContainer, setRelayContainer } from "#wiring/relay-container.ts";
import { lambdaContext } from "./lambda-events.ts";
import { guardClient } from "./role-guard.ts";

export const OUTBOX_TEST_BUS = "cancellation-test";

export interface OutboxHarnessOptions {
  dynamoEndpoint: string;
  auditTable: string;
  /** Each relay invocation's Lambda budget. Default 60 s (the deployed timeout). */
  relayBudgetMs?: number;
  /** Checkpoint and failure queue files; in memory without it. */
  stateDir?: string;
  /** Mapping options (settings, retry delays, poll interval). */
  source?: Partial<Pick<DynamoStreamSourceOptions, "settings" | "retryDelayMs" | "pollIntervalMs" | "log">>;
  /** Events kept by the bus. Default 100,000. */
  keep?: number;
}

export interface PublishedEvent {
  /** When the bus accepted it (epoch ms). */
  receivedAt: number;
  event: BusEvent;
}

export interface OutboxHarness {
  bus: LocalEventBus;
  frontDoor: RunningFrontDoor;
  eventBridge: EventBridgeClient;
  failureQueue: LocalFailureQueue;
  source: Awaited<ReturnType<typeof startDynamoStreamSource>>["source"];
  /** Relay invocations made, and how many answered with failures or threw. */
  invocations(): { total: number; partial: number; thrown: number };
  /** Outcome events the service published, in the order the bus accepted them. */
  published(): PublishedEvent[];
  /** Every event id published, with how many times. */
  publishedIds(): Map<string, number>;
  /** Waits until every event of `announced` was published at least once (or throws after `timeoutMs`). */
  waitForPublished(announced: () => Promise<OutcomeEvent[]>, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

export interface LocalBusDoor {
  bus: LocalEventBus;
  frontDoor: RunningFrontDoor;
  /** The URL an EventBridge client publishes to. */
  eventBridgeEndpoint: string;
  /** Outcome events the service published, in the order the bus accepted them. */
  published(): PublishedEvent[];
  /** Every event id published, with how many times. */
  publishedIds(): Map<string, number>;
  /** Called with each event the service publishes, as the bus accepts it. */
  onPublished(listener: (event: PublishedEvent) => void): void;
  stop(): Promise<void>;
}

/** The local bus behind the front door's EventBridge endpoint, keeping every event the service published. */
export const startLocalBusDoor = async (keep = 100_000): Promise<LocalBusDoor> => {
  const received: PublishedEvent[] = [];
  const listeners: ((event: PublishedEvent) => void)[] = [];
  const bus = new LocalEventBus({ rules: [], busNames: [OUTBOX_TEST_BUS], keep });
  // Every accepted event, with the time it arrived (the envelope's `time` is the outcome's).
  const putEvents = bus.putEvents.bind(bus);
  bus.putEvents = (request, origin) => {
    const before = bus.events().length;
    const result = putEvents(request, origin);
    const now = Date.now();
    for (const stored of bus.events().slice(before)) {
      if (stored.origin !== "service") continue;
      const published = { receivedAt: now, event: stored.event };
      received.push(published);
      for (const listener of listeners) listener(published);
    }
    return result;
  };
  let frontDoor: RunningFrontDoor;
  try {
    frontDoor = await startFrontDoor(await freePort(), {
      http: inProcessInvoker(declaredFunction("http-api"), async () => ({ statusCode: 404 })),
      bus,
      sqs: new LocalSqs({ endpoint: "http://127.0.0.1:9/__aws/sqs" }),
      schedules: {},
      log: () => {},
    });
  } catch (error) {
    bus.close();
    throw error;
  }
  const publishedIds = () => {
    const ids = new Map<string, number>();
    for (const { event } of received) {
      const id = (event.detail as { eventId?: string }).eventId ?? "(none)";
      ids.set(id, (ids.get(id) ?? 0) + 1);
    }
    return ids;
  };
  return {
    bus,
    frontDoor,
    eventBridgeEndpoint: `${frontDoor.url}${EVENTBRIDGE_PATH}`,
    published: () => [...received],
    publishedIds,
    onPublished: (listener) => listeners.push(listener),
    stop: async () => {
      bus.close();
      await frontDoor.close();
    },
  };
};

/** Waits until every event `announced` lists was published at least once (or throws after `timeoutMs`). */
export const waitForPublished = async (
  door: Pick<LocalBusDoor, "publishedIds">,
  announced: () => Promise<OutcomeEvent[]>,
  timeoutMs: number,
  describe: () => string = () => "",
): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const wanted = (await announced()).map((event) => event.detail.eventId);
    const ids = door.publishedIds();
    const missing = wanted.filter((id) => !ids.has(id));
    if (missing.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${missing.length} of ${wanted.length} announced events not published within ${timeoutMs} ms ` +
          `(first: ${missing.slice(0, 3).join(", ")}) ${describe()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

export const startOutboxHarness = async (options: OutboxHarnessOptions): Promise<OutboxHarness> => {
  const stops: (() => Promise<void> | void)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };
  try {
    const door = await startLocalBusDoor(options.keep);
    stops.push(() => door.stop());
    const eventBridge = new EventBridgeClient({
      endpoint: door.eventBridgeEndpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 },
    });
    stops.push(() => eventBridge.destroy());
    // Only the relay uses this client: every call it makes is the relay's.
    guardClient(eventBridge, "events", { as: "OutboxRelay", names: { busName: OUTBOX_TEST_BUS } });
    setRelayContainer(
      buildRelayContainer(
        { eventBusName: OUTBOX_TEST_BUS, eventBridgeEndpoint: undefined, eventBridgeTimeoutMs: 3_000 },
        { logger: getLogger(), metrics: getMetrics() },
        { eventBridge },
      ),
    );
    stops.push(() => setRelayContainer(undefined));
    const { handler } = await import("#handlers/outbox-relay.ts");
    const relay = handler as unknown as (event: DynamoDBStreamEvent, context: Context) => Promise<unknown>;
    const counts = { total: 0, partial: 0, thrown: 0 };
    const running = await startDynamoStreamSource({
      endpoint: options.dynamoEndpoint,
      tableName: options.auditTable,
      ...(options.stateDir !== undefined && { stateDir: options.stateDir }),
      ...options.source,
      invoke: async (event) => {
        counts.total += 1;
        try {
          const result = (await relay(
            event,
            lambdaContext({ remainingMs: options.relayBudgetMs ?? 60_000, functionName: "outbox-relay" }),
          )) as { batchItemFailures?: unknown[] } | undefined;
          if ((result?.batchItemFailures?.length ?? 0) > 0) counts.partial += 1;
          return result;
        } catch (error) {
          counts.thrown += 1;
          throw error;
        }
      },
    });
    stops.push(() => running.stop());
    return {
      bus: door.bus,
      frontDoor: door.frontDoor,
      eventBridge,
      failureQueue: running.failureQueue,
      source: running.source,
      invocations: () => ({ ...counts }),
      published: door.published,
      publishedIds: door.publishedIds,
      waitForPublished: (announced, timeoutMs) =>
        waitForPublished(
          door,
          announced,
          timeoutMs,
          () => `relay ${JSON.stringify(running.source.status())}`,
        ),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
};
