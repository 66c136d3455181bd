/**
 * The service as a simulation runs it: its own DynamoDB Local (or a given one) with fresh
 * tables, both sandboxes with their rate limits, a secrets file, and the local platform of
 * `npm start` (local/stack/local-stack.ts) with the functions local/stack/local-functions.ts declares, each in
 * its own worker-thread containers. The containers' logs are discarded (they would be tens of
 * thousands of lines); their errors are counted.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { freePort } from "#local/free-port.ts";
import { type RunningA55Sandbox, startA55Sandbox } from "#local/sandboxes/a55/a55-sandbox.ts";
import {
  type RunningProcureCoreSandbox,
  startProcureCoreSandbox,
} from "#local/sandboxes/procure-core/procure-core-sandbox.ts";
import type { LocalFunctionSpec } from "#local/stack/lambda/local-function.ts";
import { localFunctions } from "#local/stack/local-functions.ts";
import { type RunningLocalStack, startLocalStack } from "#local/stack/local-stack.ts";
import { EVENTBRIDGE_PATH } from "#local/stack/put-events-endpoint.ts";
import { REPO_ROOT, readLocalSettings } from "#local/stack/settings.ts";
import { type DynamoLocal, startDynamoLocal } from "#test/support/dynamo-local.ts";
import { createLocalDynamoClient, createTestTables, type TestTables } from "#test/support/dynamo-tables.ts";
import type { SimulationOptions } from "./simulation-options.ts";

/** The one wallet every simulated charge is in; the service's A55 token may act on it. */
export const SIM_WALLET = "5a1e0000-0000-4000-8000-000000000001";
export const SIM_APP = { appId: "sim_storefront", secret: `sim_${randomBytes(16).toString("hex")}` };
export const SIM_CLIENT_TOKEN = `sim_token_${randomBytes(16).toString("hex")}`;
/** The service's own identities at the sandboxes (their rate limits are per client). */
export const SERVICE_PROCURE_CORE_APP = "cancellation-service-sim";
export const SERVICE_A55_CLIENT = "cancellation-service-sim";

export interface SimulatedService {
  stack: RunningLocalStack;
  functions: LocalFunctionSpec[];
  procureCore: RunningProcureCoreSandbox;
  a55: RunningA55Sandbox;
  dynamo: DynamoDBClient;
  tables: TestTables;
  /** How many lines the containers wrote; the first errors they and the platform reported, and how many. */
  output: { lines: number; errors: string[]; errorCount: number };
  /** DynamoDB Local's JVM, when the run started its own. */
  dynamoPid: number | undefined;
  close(): Promise<void>;
}

/**
 * The service's budget for each sandbox's limit (`<UPSTREAM>_BUDGET_PER_MINUTE`), so that
 * `--procure-core-limit 3000` is the limit on both sides; without it the service kept its
 * registry's default (300) against a sandbox allowing 3,000. Only for a 60 s window: the
 * budget's window is a minute, and a shorter sandbox window scales a run down in time with
 * the default budget (`--env` sets it then, and overrides this).
 */
const serviceBudgets = (options: SimulationOptions): Record<string, string> => ({
  // The share the drain rate is measured against is the one the service runs with.
  BACKGROUND_BUDGET_SHARE: String(options.backgroundShare),
  ...(options.procureCore.windowSeconds === 60 && {
    PROCURE_CORE_BUDGET_PER_MINUTE: String(options.procureCore.limit),
  }),
  ...(options.a55.windowSeconds === 60 && { A55_BUDGET_PER_MINUTE: String(options.a55.limit) }),
});

export const startSimulatedService = async (options: SimulationOptions): Promise<SimulatedService> => {
  const stops: (() => Promise<void> | void)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        process.stderr.write(`simulation: a cleanup step failed: ${String(error)}\n`);
      }
    }
  };
  try {
    let endpoint = options.dynamoEndpoint;
    let dynamoPid: number | undefined;
    if (!endpoint) {
      const local: DynamoLocal = await startDynamoLocal();
      stops.push(() => local.stop());
      endpoint = local.endpoint;
      dynamoPid = local.pid;
    }
    const dynamo = createLocalDynamoClient(endpoint, {
      connectionTimeoutMs: 5_000,
      requestTimeoutMs: 30_000,
    });
    stops.push(() => dynamo.destroy());
    const tables = await createTestTables(dynamo, "simulation");
    stops.push(() => tables.drop());

    const procureSecret = `pc_${randomBytes(16).toString("hex")}`;
    const a55Token = `a55_${randomBytes(16).toString("hex")}`;
    const procureCore = await startProcureCoreSandbox({
      apps: { [SERVICE_PROCURE_CORE_APP]: procureSecret },
      demo: false,
      rateLimitPerMinute: options.procureCore.limit,
      rateLimitWindowSeconds: options.procureCore.windowSeconds,
    });
    stops.push(() => procureCore.close());
    const a55 = await startA55Sandbox({
      staticTokens: { [a55Token]: { clientId: SERVICE_A55_CLIENT, wallets: [SIM_WALLET] } },
      demo: false,
      rateLimitPerMinute: options.a55.limit,
      rateLimitWindowSeconds: options.a55.windowSeconds,
    });
    stops.push(() => a55.close());
    a55.charges.addWallet(SIM_WALLET);

    const dir = await mkdtemp(path.join(tmpdir(), "simulation-"));
    stops.push(() => rm(dir, { recursive: true, force: true }));
    const secretsFile = path.join(dir, "secrets.json");
    await writeFile(
      secretsFile,
      JSON.stringify({
        "procure-core": {
          baseUrl: procureCore.url,
          appId: SERVICE_PROCURE_CORE_APP,
          appSecret: procureSecret,
        },
        a55: { baseUrl: a55.url, accessToken: a55Token },
        clients: {
          apps: { [SIM_APP.appId]: { secrets: [SIM_APP.secret], grants: "all" } },
          tokens: [
            {
              id: "sim",
              sha256: createHash("sha256").update(SIM_CLIENT_TOKEN).digest("hex"),
              grants: "all",
              wallets: ["*"],
            },
          ],
        },
      }),
      { mode: 0o600 },
    );

    const httpPort = await freePort();
    const settings = readLocalSettings(
      {
        CANCEL_LOCAL_SWEEP_INTERVAL_SECONDS: "0",
        CANCEL_LOCAL_WORKERS: Object.entries(options.workers)
          .map(([name, count]) => `${name}=${count}`)
          .join(","),
      },
      { inMemory: true },
    );
    // Outcomes are read from the audit table, so the outbox relay (a DynamoDB stream consumer) is not run.
    const functions = localFunctions(settings).filter((fn) => fn.trigger.kind !== "dynamodb-stream");
    const output = { lines: 0, errors: [] as string[], errorCount: 0 };
    const error = (text: string): void => {
      output.errorCount += 1;
      if (output.errors.length < 20) output.errors.push(text.slice(0, 500));
    };
    const stack = await startLocalStack({
      httpPort,
      functions,
      root: REPO_ROOT,
      serviceEnv: {
        IDEMPOTENCY_TABLE: tables.idempotencyTable,
        AUDIT_TABLE: tables.auditTable,
        EVENT_BUS_NAME: "cancellation-simulation",
        SECRETS_FILE: secretsFile,
        DYNAMODB_ENDPOINT: endpoint,
        EVENTBRIDGE_ENDPOINT: `http://127.0.0.1:${httpPort}${EVENTBRIDGE_PATH}`,
        AWS_REGION: "us-east-1",
        AWS_DEFAULT_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "local",
        AWS_SECRET_ACCESS_KEY: "local",
        POWERTOOLS_SERVICE_NAME: "cancellation-service",
        POWERTOOLS_METRICS_NAMESPACE: "cancellation-service-simulation",
        LOG_LEVEL: "WARN",
        ...serviceBudgets(options),
        ...options.env,
      },
      // The platform's own lines: failed invocations, invalid batch answers, failed scheduled runs.
      log: error,
      logRequests: false,
      logRuns: false,
      output: (chunk, stream) => {
        for (const line of chunk.toString("utf8").split("\n")) {
          if (line === "") continue;
          output.lines += 1;
          // Powertools writes WARN to stderr too: only errors (and anything that is not a log line) count.
          const level = /"level":"([A-Z]+)"/.exec(line)?.[1];
          if (level === "ERROR" || level === "CRITICAL" || (level === undefined && stream === "stderr"))
            error(line);
        }
      },
    });
    stops.push(() => stack.close());
    return { stack, functions, procureCore, a55, dynamo, tables, output, dynamoPid, close: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
};
