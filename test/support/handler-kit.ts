/**
 * Everything an end-to-end handler test needs, wired the way production is: both upstream
 * sandboxes on ephemeral 127.0.0.1 ports, the service's tables on DynamoDB Local, a
 * secrets file, and the container from the one composition root (`buildContainer`) with
 * a round-trip-counted DynamoDB client. Outcome events are read from the audit table's
 * announcing records (`announced`), exactly what the outbox relay publishes. The
 * exported Lambda handlers are imported after the environment they read at load time is set.
 *
 * Each handler runs as its function, under its role: every DynamoDB and SQS call an
 * invocation makes is checked against the function manifest's statements for that function
 * (role-guard.ts) and refused as AWS refuses it (`AccessDeniedException`) when they do not
 * allow it. Calls a test makes itself, outside any invocation, are not judged.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEventV2, Context, EventBridgeEvent } from "aws-lambda";
import type { BulkPacing } from "#core/bulk-ports.ts";
import type { IntentStatus } from "#core/intent-rules.ts";
import type { AuditRecord, OutcomeEvent, TrailRef } from "#core/ports.ts";
import { type RunningA55Sandbox, startA55Sandbox } from "#local/sandboxes/a55/a55-sandbox.ts";
import type { ChargeStatus } from "#local/sandboxes/a55/charge-store.ts";
import {
  A55_DEMO_OTHER_WALLET,
  A55_DEMO_STATIC_TOKEN,
  A55_DEMO_WALLET,
} from "#local/sandboxes/a55/demo-charges.ts";
import { DEFAULT_DEMO_SECRET, DEMO_APP_ID } from "#local/sandboxes/procure-core/demo-intents.ts";
import type { AsyncCancelEnd } from "#local/sandboxes/procure-core/intent-store.ts";
import {
  type RunningProcureCoreSandbox,
  startProcureCoreSandbox,
} from "#local/sandboxes/procure-core/procure-core-sandbox.ts";
import { FUNCTIONS } from "#manifest/function-manifest.ts";
import { triggerQueuesOf } from "#manifest/function-resources.ts";
import { buildBulkDriverWiring, setBulkDriverWiring } from "#wiring/bulk-driver-wiring.ts";
import { buildBusWiring, setBusWiring } from "#wiring/bus-wiring.ts";
import { readConfig } from "#wiring/config.ts";
import { buildContainer, type Container, setContainer } from "#wiring/container.ts";
import { readAnnouncedEvents } from "./announced-events.ts";
import { type BusDelivery, type BusHandler, type BusQueue, startBusQueue } from "./bus-queue.ts";
import {
  createLocalDynamoClient,
  createTestTables,
  type LocalClientOptions,
  type TestTables,
} from "./dynamo-tables.ts";
import {
  apiGatewayV2Event,
  type HttpEventInput,
  lambdaContext,
  type SignedEventInput,
  signedRequest,
} from "./lambda-events.ts";
import { asFunction, guardClient, takeRefusals } from "./role-guard.ts";
import { countRoundTrips, type RoundTripCounter } from "./round-trip-counter.ts";

/** The inbound app the storefront signs with (in the `clients` secret). */
export const STOREFRONT_APP_ID = "storefront_app";
/** Client token ids (in the `clients` secret). */
export const DEMO_WALLET_TOKEN_ID = "storefront-demo-wallet";
export const WIDE_TOKEN_ID = "storefront-two-wallets";

export interface HandlerKitOptions {
  /** Table name prefix, e.g. the test file's name. */
  name: string;
  /** DynamoDB Local to use: the run's shared one (`inject("dynamoEndpoint")`) or a private one. */
  dynamoEndpoint: string;
  /** Extra service variables (functions/wiring/config.ts), e.g. `UPSTREAM_MAX_ATTEMPTS`. */
  env?: Record<string, string>;
  /** Powertools log level of the handlers and the container. Default `SILENT`. */
  logLevel?: string;
  dynamoClient?: LocalClientOptions;
  /** How long the Procure-Core sandbox takes to finish an accepted PROCESSING cancel. Default 2000 ms. */
  processingCancelDelayMs?: number;
  /** Wraps the upstream clients' fetch (e.g. to lose an answer after the upstream applied it). */
  fetch?: typeof fetch;
  /** The bulk driver's pacing (the continuation runs it), e.g. `recheckMs: 0` to look at a job at every run. */
  bulkPacing?: Partial<BulkPacing>;
  /** More entries of the `clients` secret, as written there (docs/deploy.md), beside the storefront's. */
  clients?: { apps?: Record<string, unknown>; tokens?: unknown[] };
}

export interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  /** The body parsed as JSON. */
  body: unknown;
  rawBody: string;
}

type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;
type SweepHandler = (event: unknown, context: Context) => Promise<unknown>;
type ContinuationHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface HandlerKit {
  procureCore: RunningProcureCoreSandbox;
  a55: RunningA55Sandbox;
  tables: TestTables;
  dynamo: DynamoDBClient;
  roundTrips: RoundTripCounter;
  container: Container;
  /** Outcome events announced so far (what the outbox relay publishes), in commit order. */
  announced(): Promise<OutcomeEvent[]>;
  secretsFile: string;
  /** The storefront's inbound signing credentials. */
  app: { appId: string; secret: string };
  /** Client bearer token scoped to the demo wallet only. */
  clientToken: string;
  /** Client bearer token scoped to the demo wallet and the wallet the service's A55 token may not touch. */
  wideClientToken: string;
  /** The service's own upstream credentials, which must never appear in a log or an answer. */
  upstreamSecrets: { procureCoreAppSecret: string; a55AccessToken: string };
  handlers: { http: HttpHandler; bus: BusHandler; sweep: SweepHandler; continuation: ContinuationHandler };
  /** The bus function's work queue and dead-letter queue (local SQS, as deployed). */
  busQueue: BusQueue;
  /**
   * Puts one event on the work queue, as the rule does, and delivers it to the bus handler in a
   * batch of its own, as the event source mapping does.
   */
  deliverBus(event: EventBridgeEvent<"Cancel Requested", unknown>, context?: Context): Promise<BusDelivery>;
  /** Invokes the exported HTTP handler and parses its answer. */
  http(event: APIGatewayProxyEventV2, context?: Context): Promise<HttpResult>;
  /** A request signed with the storefront app's secret. */
  signed(
    input: HttpEventInput & Partial<Pick<SignedEventInput, "app" | "timestampMs">>,
  ): APIGatewayProxyEventV2;
  /** A request with `Authorization: Bearer <token>` (the demo-wallet token by default). */
  bearer(input: HttpEventInput & { token?: string }): APIGatewayProxyEventV2;
  /** Adds an intent owned by the service's Procure-Core app, under a fresh id. */
  newIntent(
    status: IntentStatus,
    options?: { shipped?: boolean; createdAt?: number; prefix?: string; asyncCancelEnds?: AsyncCancelEnd },
  ): string;
  /** Adds a charge under a fresh UUID (in the demo wallet by default). */
  newCharge(status: ChargeStatus, walletUuid?: string): string;
  /**
   * One target's audit trail, newest first, read through the container's audit log; an
   * order's in its owner's namespace (default: the storefront app's).
   */
  audit(target: { type: AuditRecord["target"]["type"]; id: string }, owner?: string): Promise<AuditRecord[]>;
  /**
   * Stops the sandboxes and drops the tables (skip the drop when DynamoDB is already gone).
   * Throws when any call of a handler was refused by its function's role meanwhile.
   */
  close(options?: { dropTables?: boolean }): Promise<void>;
}

const sha256Hex = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

const toHttpResult = (result: unknown): HttpResult => {
  const structured = result as { statusCode: number; headers?: Record<string, unknown>; body?: string };
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(structured.headers ?? {})) {
    headers[name.toLowerCase()] = String(value);
  }
  const rawBody = structured.body ?? "";
  return {
    statusCode: structured.statusCode,
    headers,
    body: rawBody === "" ? undefined : JSON.parse(rawBody),
    rawBody,
  };
};

/**
 * Starts the kit and makes its container the handlers' container.
 * Call `close()` in `afterAll`, even when a test failed.
 */
export const startHandlerKit = async (options: HandlerKitOptions): Promise<HandlerKit> => {
  // Read by Powertools when the handler modules (and the container) create their logger and metrics.
  process.env.LOG_LEVEL = options.logLevel ?? "SILENT";
  process.env.POWERTOOLS_METRICS_DISABLED = "true";

  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const step of cleanups.reverse()) await step();
  };
  try {
    const procureCore = await startProcureCoreSandbox(
      options.processingCancelDelayMs === undefined
        ? {}
        : { processingCancelDelayMs: options.processingCancelDelayMs },
    );
    cleanups.push(() => procureCore.close());
    const a55 = await startA55Sandbox({ rateLimitPerMinute: 0 });
    cleanups.push(() => a55.close());

    const busQueue = await startBusQueue();
    cleanups.push(() => busQueue.close());

    const dynamo = createLocalDynamoClient(options.dynamoEndpoint, options.dynamoClient);
    cleanups.push(() => dynamo.destroy());
    const tables = await createTestTables(dynamo, options.name);
    const roundTrips = countRoundTrips(dynamo);
    guardClient(dynamo, "dynamodb", {
      names: { tables: { idempotency: tables.idempotencyTable, audit: tables.auditTable } },
    });

    const app = { appId: STOREFRONT_APP_ID, secret: `sf_secret_${randomBytes(16).toString("hex")}` };
    const clientToken = `sf_token_${randomBytes(16).toString("hex")}`;
    const wideClientToken = `sf_token_${randomBytes(16).toString("hex")}`;
    const secretsDir = await mkdtemp(path.join(tmpdir(), "handler-kit-"));
    cleanups.push(() => rm(secretsDir, { recursive: true, force: true }));
    const secretsFile = path.join(secretsDir, "secrets.json");
    await writeFile(
      secretsFile,
      JSON.stringify({
        "procure-core": { baseUrl: procureCore.url, appId: DEMO_APP_ID, appSecret: DEFAULT_DEMO_SECRET },
        a55: { baseUrl: a55.url, accessToken: A55_DEMO_STATIC_TOKEN },
        clients: {
          // The shapes from before grants, kept working by saying "all" (docs/security.md).
          apps: { [app.appId]: { secrets: [app.secret], grants: "all" }, ...options.clients?.apps },
          tokens: [
            {
              id: DEMO_WALLET_TOKEN_ID,
              sha256: sha256Hex(clientToken),
              grants: "all",
              wallets: [A55_DEMO_WALLET],
            },
            {
              id: WIDE_TOKEN_ID,
              sha256: sha256Hex(wideClientToken),
              grants: "all",
              wallets: [A55_DEMO_WALLET, A55_DEMO_OTHER_WALLET],
            },
            ...(options.clients?.tokens ?? []),
          ],
        },
      }),
      { mode: 0o600 },
    );

    const config = readConfig({
      IDEMPOTENCY_TABLE: tables.idempotencyTable,
      AUDIT_TABLE: tables.auditTable,
      EVENT_BUS_NAME: "cancellation-test",
      SECRETS_FILE: secretsFile,
      DYNAMODB_ENDPOINT: options.dynamoEndpoint,
      // DynamoDB Local on a loaded test machine can take hundreds of ms to answer a take: a
      // wider margin than production's 1 s keeps slots from going stale (left unused) here.
      UPSTREAM_BUDGET_MARGIN_MS: "3000",
      ...busQueue.env,
      ...options.env,
    });
    // Clients that can only ever reach a closed loopback port: nothing here may talk to AWS.
    const offline = {
      region: "us-east-1",
      endpoint: "http://127.0.0.1:9",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      maxAttempts: 1,
    };
    const secretsManager = new SecretsManagerClient(offline);
    cleanups.push(() => secretsManager.destroy());
    const container = buildContainer(config, undefined, {
      dynamoDb: dynamo,
      secretsManager,
      ...(options.fetch && { fetch: options.fetch }),
    });
    setContainer(container);
    cleanups.push(() => setContainer(undefined));
    // The bus function's own SQS client, on the kit's local queue.
    const sqs = new SQSClient({ ...offline, endpoint: busQueue.env.SQS_ENDPOINT, maxAttempts: 2 });
    cleanups.push(() => sqs.destroy());
    const { work = "", failures = "" } = triggerQueuesOf(FUNCTIONS.CancelRequested);
    const queues = { [busQueue.queue.url]: work, [busQueue.deadLetters.url]: failures };
    guardClient(sqs, "sqs", { names: { queues } });
    setBusWiring(buildBusWiring(container, sqs));
    // The continuation's bulk driver sends bulk items to the same work queue, with the same client.
    setBulkDriverWiring(
      container,
      buildBulkDriverWiring(container, { sqs, ...(options.bulkPacing && { pacing: options.bulkPacing }) }),
    );

    const [httpModule, busModule, sweepModule, continuationModule] = await Promise.all([
      import("#handlers/http-api.ts"),
      import("#handlers/cancel-requested.ts"),
      import("#handlers/expiry-sweep.ts"),
      import("#handlers/continuation.ts"),
    ]);
    // Each exported handler as its function: its calls are judged by that function's role.
    const handlers = {
      http: asFunction("HttpApi", httpModule.handler as unknown as HttpHandler),
      bus: asFunction("CancelRequested", busModule.handler as unknown as BusHandler),
      sweep: asFunction("ExpirySweep", sweepModule.handler as unknown as SweepHandler),
      continuation: asFunction("Continuation", continuationModule.handler as unknown as ContinuationHandler),
    };

    return {
      procureCore,
      a55,
      tables,
      dynamo,
      roundTrips,
      container,
      announced: () => readAnnouncedEvents(dynamo, tables.auditTable),
      secretsFile,
      app,
      clientToken,
      wideClientToken,
      upstreamSecrets: { procureCoreAppSecret: DEFAULT_DEMO_SECRET, a55AccessToken: A55_DEMO_STATIC_TOKEN },
      handlers,
      busQueue,
      deliverBus: async (event, context) => {
        // A delivery in a batch of its own: nothing else may be visible on the queue.
        busQueue.put(event);
        return busQueue.deliverBatch(handlers.bus, { maxMessages: 1, ...(context ? { context } : {}) });
      },
      http: async (event, context) => toHttpResult(await handlers.http(event, context ?? lambdaContext())),
      signed: (input) => signedRequest({ app, ...input }),
      bearer: ({ token, headers, ...input }) =>
        apiGatewayV2Event({
          ...input,
          headers: { authorization: `Bearer ${token ?? clientToken}`, ...headers },
        }),
      newIntent: (status, intent = {}) => {
        const id = `${intent.prefix ?? "intent_t"}_${randomUUID().slice(0, 8)}`;
        procureCore.intents.add({
          id,
          appId: DEMO_APP_ID,
          status,
          ...(intent.createdAt === undefined ? {} : { createdAt: intent.createdAt }),
          ...(intent.shipped === undefined ? {} : { shipped: intent.shipped }),
          ...(intent.asyncCancelEnds === undefined ? {} : { asyncCancelEnds: intent.asyncCancelEnds }),
        });
        return id;
      },
      newCharge: (status, walletUuid = A55_DEMO_WALLET) =>
        a55.charges.add({ chargeUuid: randomUUID(), walletUuid, status }).chargeUuid,
      audit: async (target, owner = app.appId) => {
        const trail: TrailRef =
          target.type === "order"
            ? { type: "order", id: target.id, owner }
            : { type: target.type, id: target.id };
        return (await container.deps.audit.byTarget(trail, { limit: 100 })).items;
      },
      close: async ({ dropTables = true } = {}) => {
        try {
          if (dropTables) await tables.drop();
        } finally {
          await cleanup();
        }
        // A refusal the code turned into an expected failure (a 503, a failed message) must
        // still fail the file: its function's manifest entry lacks a permission it uses.
        const refused = takeRefusals();
        if (refused.length > 0) {
          throw new Error(
            `calls refused by the functions' manifest roles: ${refused
              .map(({ functionName, grant }) => `${functionName}: ${grant.action} on ${grant.described}`)
              .join("; ")}`,
          );
        }
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
};
