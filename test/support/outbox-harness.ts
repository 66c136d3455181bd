/**
 * The outbox as `npm start` runs it, for tests and the bench: the local event source
 * mapping on the audit table's stream (local/stack/dynamo-stream-source.ts) invoking the
 * exported relay handler, whose EventBridge client publishes to the local bus through the
 * front door's EventBridge endpoint. What reached the bus is read back from the bus.
 */
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { Context, DynamoDBStreamEvent } from "aws-lambda";
import type { OutcomeEvent } from "#core/ports.ts";
import { freePort } from "#local/free-port.ts";
import {
  type DynamoStreamSourceOptions,
  startDynamoStreamSource,
} from "#local/stack/dynamo-stream-source.ts";
import { type RunningFrontDoor, startFrontDoor } from "#local/stack/front-door.ts";
import { type BusEvent, LocalEventBus } from "#local/stack/local-event-bus.ts";
import { EVENTBRIDGE_PATH } from "#local/stack/put-events-endpoint.ts";
import type { LocalFailureQueue } from "#local/stack/stream-failure-queue.ts";
import { SweepRunner } from "#local/stack/sweep-runner.ts";
import { getLogger, getMetrics } from "#wiring/observability.ts";
import { buildRelayContainer, setRelayContainer } from "#wiring/relay-container.ts";
import { lambdaContext } from "./lambda-events.ts";

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

export const startOutboxHarness = async (options: OutboxHarnessOptions): Promise<OutboxHarness> => {
  const stops: (() => Promise<void> | void)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };
  try {
    const received: PublishedEvent[] = [];
    const bus = new LocalEventBus({
      deliver: async () => {},
      retryDelaysMs: [],
      keep: options.keep ?? 100_000,
    });
    // Every accepted event, with the time it arrived (the envelope's `time` is the outcome's).
    const putEvents = bus.putEvents.bind(bus);
    bus.putEvents = (request, origin) => {
      const before = bus.events().length;
      const result = putEvents(request, origin);
      const now = Date.now();
      for (const stored of bus.events().slice(before)) {
        if (stored.origin === "service") received.push({ receivedAt: now, event: stored.event });
      }
      return result;
    };
    stops.push(() => bus.close());
    const frontDoor = await startFrontDoor(await freePort(), {
      httpHandler: async () => ({ statusCode: 404 }),
      bus,
      sweeps: new SweepRunner(async () => ({})),
      log: () => {},
    });
    stops.push(() => frontDoor.close());
    const eventBridge = new EventBridgeClient({
      endpoint: `${frontDoor.url}${EVENTBRIDGE_PATH}`,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 },
    });
    stops.push(() => eventBridge.destroy());
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
    const published = () => [...received];
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
      eventBridge,
      failureQueue: running.failureQueue,
      source: running.source,
      invocations: () => ({ ...counts }),
      published,
      publishedIds,
      waitForPublished: async (announced, timeoutMs) => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const wanted = (await announced()).map((event) => event.detail.eventId);
          const ids = publishedIds();
          const missing = wanted.filter((id) => !ids.has(id));
          if (missing.length === 0) return;
          if (Date.now() > deadline) {
            throw new Error(
              `${missing.length} of ${wanted.length} announced events not published within ${timeoutMs} ms ` +
                `(first: ${missing.slice(0, 3).join(", ")}); relay ${JSON.stringify(running.source.status())}`,
            );
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
};
