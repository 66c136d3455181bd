/**
 * The service as the handler benchmarks run it: DynamoDB Local, the handler kit
 * (test/support/handler-kit.ts: sandboxes, tables, secrets file, the exported handlers),
 * and `npm start`'s front door (local/stack/front-door.ts) for two jobs — the API
 * Gateway v2 translation in front of the HTTP handler, and the EventBridge endpoint the
 * outbox relay publishes outcome events to. No cancel path publishes; `startOutbox()` runs
 * the relay on the audit table's stream as `npm start` does (local event source mapping,
 * the exported relay handler, the real `EventBridgePublisher` over HTTP).
 *
 * Unlike the kit's tests, observability runs as deployed: logs at INFO and EMF metrics on
 * (they go to the suite process's stdout, which the runner discards). The container is
 * rebuilt through the one composition root (`buildContainer`) whenever a suite needs
 * another configuration (sweep concurrency, rate limit, another sandbox).
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { RingStore } from "#adapters/budget/budget-ring-store.ts";
import { JVM_DEFAULTS } from "#local/dynamo-local/launcher.ts";
import { freePort } from "#local/free-port.ts";
import { type RunningFrontDoor, startFrontDoor } from "#local/stack/front-door.ts";
import { inProcessInvoker } from "#local/stack/lambda/in-process-invoker.ts";
import { invokeWithBudget } from "#local/stack/lambda-context.ts";
import { LocalEventBus } from "#local/stack/local-event-bus.ts";
import { EVENTBRIDGE_PATH } from "#local/stack/put-events-endpoint.ts";
import { ScheduleRunner } from "#local/stack/schedule-runner.ts";
import { LocalSqs } from "#local/stack/sqs/local-sqs.ts";
import { startDynamoStreamSource } from "#local/stack/start-dynamo-stream-source.ts";
import { FUNCTIONS } from "#manifest/function-manifest.ts";
import { type DynamoLocal, startDynamoLocal } from "#test/support/dynamo-local.ts";
import { type HandlerKit, startHandlerKit } from "#test/support/handler-kit.ts";
import { declaredFunction } from "#test/support/local-front-door.ts";
import type { ServiceConfig } from "#wiring/config.ts";
import { buildContainer, type Container, setContainer } from "#wiring/container.ts";
import { createMetrics, getLogger } from "#wiring/observability.ts";
import { buildRelayContainer, setRelayContainer } from "#wiring/relay-container.ts";

export interface BenchService {
  kit: HandlerKit;
  dynamo: DynamoLocal;
  frontDoor: RunningFrontDoor;
  bus: LocalEventBus;
  /** The outbox relay's client (to the front door's EventBridge endpoint). */
  eventBridge: EventBridgeClient;
  /** PutEvents calls the service made to the bus (whoever made them) since the start. */
  putEventsCalls(): number;
  /** Events the service published: when each arrived, and its `detail` (`eventId`, `at`). */
  arrivals(): { receivedAt: number; eventId: string; at: string }[];
  /** Starts the outbox relay on the audit table's stream; resolves once it polls. */
  startOutbox(): Promise<{ waitUntilIdle(timeoutMs?: number): Promise<void>; stop(): Promise<void> }>;
  /** Resolves once no HTTP request is being handled behind the front door (or after `timeoutMs`). */
  httpIdle(timeoutMs?: number): Promise<void>;
  /** The container the handlers use now. */
  container: Container;
  /**
   * Builds a container from the kit's configuration changed by `change` and makes it the
   * handlers' container. `procureCoreUrl` points the service at another Procure-Core;
   * `fetch` is what the upstream clients send with (to time upstream calls).
   */
  useContainer(options?: ContainerChange): Promise<Container>;
  close(): Promise<void>;
}

export interface ContainerChange {
  change?: (config: ServiceConfig) => ServiceConfig;
  procureCoreUrl?: string;
  fetch?: typeof fetch;
  /** Where the upstream budget keeps its rings; DynamoDB Local (the idempotency table) when absent. */
  budgetStore?: RingStore;
}

const REGION = "us-east-1";
const FAKE_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };
/** The bus the bench service publishes to: the one its local bus has. */
const BENCH_BUS = "cancellation-bench";

/** Starts everything; on a failure half-way, stops what already started before rethrowing. */
export const startBenchService = async (name: string): Promise<BenchService> => {
  const stops: (() => Promise<void> | void)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (error) {
        process.stderr.write(`cleanup step failed: ${String(error)}\n`);
      }
    }
  };
  try {
    const dynamo = await startDynamoLocal({ jvmOptions: JVM_DEFAULTS });
    stops.push(() => dynamo.stop());
    const kit = await startHandlerKit({ name, dynamoEndpoint: dynamo.endpoint, logLevel: "INFO" });
    stops.push(() => kit.close());
    // The kit turns metrics off for quiet tests; deployed functions emit them.
    process.env.POWERTOOLS_METRICS_DISABLED = "false";

    // The suites put no `Cancel Requested` event on the bus: no rule is needed.
    const bus = new LocalEventBus({ rules: [], busNames: [BENCH_BUS] });
    stops.push(() => bus.close());
    // Every PutEvents call from the service, and when each event arrived.
    let putEventsCalls = 0;
    const arrivals: { receivedAt: number; eventId: string; at: string }[] = [];
    const putEvents = bus.putEvents.bind(bus);
    bus.putEvents = (request, origin) => {
      if (origin === "service") putEventsCalls++;
      const result = putEvents(request, origin);
      const receivedAt = Date.now();
      if (origin === "service") {
        const accepted = result.Entries.filter((entry) => "EventId" in entry).length;
        for (const stored of accepted === 0 ? [] : bus.events().slice(-accepted)) {
          const detail = stored.event.detail as { eventId?: string; at?: string };
          if (stored.origin === "service" && detail.eventId && detail.at) {
            arrivals.push({ receivedAt, eventId: detail.eventId, at: detail.at });
          }
        }
      }
      return result;
    };
    // Counted so a load test can wait for the last requests before stopping anything.
    let inFlight = 0;
    const http = inProcessInvoker(declaredFunction("http-api"), async (event, context) => {
      inFlight++;
      try {
        return await kit.handlers.http(event, context);
      } finally {
        inFlight--;
      }
    });
    const frontDoor = await startFrontDoor(await freePort(), {
      http,
      bus,
      sqs: new LocalSqs({ endpoint: "http://127.0.0.1:9/__aws/sqs" }),
      schedules: {
        "/sweep": new ScheduleRunner(inProcessInvoker(declaredFunction("expiry-sweep"), kit.handlers.sweep)),
      },
      log: () => {},
      logRequests: false,
    });
    stops.push(() => frontDoor.close());

    const eventBridge = new EventBridgeClient({
      region: REGION,
      endpoint: `${frontDoor.url}${EVENTBRIDGE_PATH}`,
      credentials: FAKE_CREDENTIALS,
    });
    // Secrets come from the kit's file; this client can only reach a closed loopback port.
    const secretsManager = new SecretsManagerClient({
      region: REGION,
      endpoint: "http://127.0.0.1:9",
      credentials: FAKE_CREDENTIALS,
      maxAttempts: 1,
    });
    stops.push(() => {
      eventBridge.destroy();
      secretsManager.destroy();
    });

    const baseConfig = kit.container.config;
    let extraSecrets = 0;
    const service: BenchService = {
      kit,
      dynamo,
      frontDoor,
      bus,
      eventBridge,
      putEventsCalls: () => putEventsCalls,
      arrivals: () => [...arrivals],
      startOutbox: async () => {
        setRelayContainer(
          buildRelayContainer(
            {
              eventBusName: BENCH_BUS,
              eventBridgeEndpoint: undefined,
              eventBridgeTimeoutMs: 3_000,
            },
            { logger: getLogger(), metrics: createMetrics() },
            { eventBridge },
          ),
        );
        const { handler } = await import("#handlers/outbox-relay.ts");
        const outbox = await startDynamoStreamSource({
          endpoint: dynamo.endpoint,
          tableName: kit.tables.auditTable,
          invoke: (event) =>
            invokeWithBudget(
              {
                functionName: "cancellation-bench-outbox-relay",
                memoryMb: FUNCTIONS.OutboxRelay.memoryMb,
                timeoutMs: FUNCTIONS.OutboxRelay.timeoutSeconds * 1000,
              },
              (context) => handler(event, context),
            ),
        });
        stops.push(() => outbox.stop());
        return {
          waitUntilIdle: (timeoutMs) => outbox.source.waitUntilIdle(timeoutMs),
          stop: () => outbox.stop(),
        };
      },
      container: kit.container,
      httpIdle: async (timeoutMs = 15_000) => {
        const deadline = Date.now() + timeoutMs;
        while (inFlight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      },
      useContainer: async ({
        change = (config: ServiceConfig) => config,
        procureCoreUrl,
        fetch,
        budgetStore,
      } = {}) => {
        let config = change(baseConfig);
        if (procureCoreUrl !== undefined && config.secrets.source === "file") {
          const secrets = JSON.parse(await readFile(kit.secretsFile, "utf8")) as Record<
            string,
            Record<string, unknown>
          >;
          secrets["procure-core"] = { ...secrets["procure-core"], baseUrl: procureCoreUrl };
          const file = path.join(path.dirname(kit.secretsFile), `secrets-${++extraSecrets}.json`);
          await writeFile(file, JSON.stringify(secrets), { mode: 0o600 });
          config = { ...config, secrets: { source: "file", path: file } };
        }
        // The handlers' own process logger, as production wires it; metrics made here, since the
        // process's metrics were created while the kit had them switched off.
        const container = buildContainer(
          config,
          { logger: getLogger(), metrics: createMetrics() },
          {
            dynamoDb: kit.dynamo,
            secretsManager,
            ...(fetch ? { fetch } : {}),
            ...(budgetStore ? { budgetStore } : {}),
          },
        );
        setContainer(container);
        service.container = container;
        return container;
      },
      close: stopAll,
    };
    await service.useContainer();
    return service;
  } catch (error) {
    await stopAll();
    throw error;
  }
};
