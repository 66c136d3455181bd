/**
 * `npm start [-- --in-memory]`: the whole service on this machine, no AWS account.
 *
 * DynamoDB Local, the Procure-Core and A55 sandboxes, and every function of the service, each
 * run the way Lambda runs it (local/stack/lambda/: its own containers, one invocation at a
 * time each, cold starts, timeouts) behind local stand-ins for its trigger: API Gateway, the
 * EventBridge rule and SQS work queue with its event source mapping, the schedules.
 *
 * The functions are the function manifest's (functions/manifest/function-manifest.ts), read by
 * {@link localFunctions} (stack/local-functions.ts): adding a function there runs it here too.
 * Ports, state directory, timers and container counts are set by CANCEL_LOCAL_* variables
 * (stack/settings.ts). Ctrl-C (SIGINT) or SIGTERM stops everything; a second Ctrl-C kills what
 * is left. This file starts the pieces in order and stops them in reverse.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startA55Sandbox } from "#local/sandboxes/a55/a55-sandbox.ts";
import { A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";
import { DEFAULT_APPS, startProcureCoreSandbox } from "#local/sandboxes/procure-core/procure-core-sandbox.ts";
import { bannerText } from "./stack/banner.ts";
import { startLocalDynamo } from "./stack/dynamo-local.ts";
import { prepareLocalState } from "./stack/first-run.ts";
import { localFunctions } from "./stack/local-functions.ts";
import { writeLocalOutputs } from "./stack/local-outputs.ts";
import { startLocalStack } from "./stack/local-stack.ts";
import { checkJava, checkPorts, PreflightError } from "./stack/preflight.ts";
import { withLocalEnvironments } from "./stack/service-env.ts";
import { loopbackUrl, REPO_ROOT, readLocalSettings, SettingsError } from "./stack/settings.ts";
import { startDynamoStreamSource } from "./stack/start-dynamo-stream-source.ts";
import { ensureLocalTables, LOCAL_TABLES } from "./stack/tables.ts";

const USAGE = `Usage: npm start [-- --in-memory]

Runs cancellation-service locally: DynamoDB Local, the Procure-Core and A55 sandboxes, and every
function (HTTP API, the Cancel Requested queue consumer, the expiry sweep, the continuation, the
outbox relay) in its own containers.

  --in-memory   keep DynamoDB data in memory (default: CANCEL_LOCAL_DIR/dynamodb, .local/dynamodb)
  -h, --help    this text

Environment: CANCEL_LOCAL_DIR, CANCEL_LOCAL_HTTP_PORT (3000), CANCEL_LOCAL_DYNAMODB_PORT (8000),
CANCEL_LOCAL_PROCURE_CORE_PORT (4010), CANCEL_LOCAL_A55_PORT (4020),
CANCEL_LOCAL_SWEEP_INTERVAL_SECONDS (60, 0 = off), CANCEL_LOCAL_CONTINUATION_INTERVAL_SECONDS (10,
0 = off), CANCEL_LOCAL_WORKERS (e.g. http-api=8),
CANCEL_LOCAL_QUEUE_VISIBILITY_SECONDS (360, as deployed); service settings such as
EXPIRY_AFTER or LOG_LEVEL pass through to the functions.`;

/** The service's client id at the A55 sandbox (its fixed token's owner). */
const A55_SERVICE_CLIENT_ID = "cancellation-service-local";

const log = (line: string): void => console.log(line);

/** Things to stop, newest first. */
const closers: { name: string; close: () => Promise<void> | void }[] = [];
let killNow: () => void = () => {};
let stopping = false;

const stopAll = async (): Promise<void> => {
  for (const { name, close } of closers.splice(0).reverse()) {
    try {
      await close();
    } catch (error) {
      console.error(`Could not stop ${name}: ${String(error)}`);
    }
  }
};

/** Stops everything once; a second call (a second Ctrl-C) kills what is left at once. */
const onSignal = (reason: string): void => {
  if (stopping) {
    // Second Ctrl-C: no more waiting.
    killNow();
    process.exit(130);
  }
  stopping = true;
  log(`\n${reason}: stopping…`);
  const force = setTimeout(() => {
    console.error("Still stopping after 20 s; killing what is left.");
    killNow();
    process.exit(1);
  }, 20_000);
  force.unref();
  void stopAll().then(() => {
    log("Stopped.");
    process.exit(0);
  });
};

/**
 * Stops the stack when whatever started it goes away: `npm` killed on its own (SIGTERM to
 * its pid only) does not pass the signal through its `sh -c`, and this process would be
 * left running, reparented. A changed parent pid is the sign.
 */
const watchParent = (): void => {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent && !stopping) {
      onSignal(`the parent process (${parent}) has exited`);
    }
  }, 1_000);
  timer.unref();
};

const main = async (): Promise<void> => {
  const { values } = parseArgs({
    options: { "in-memory": { type: "boolean", default: false }, help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (values.help) {
    log(USAGE);
    return;
  }
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, onSignal);
  watchParent();

  const settings = readLocalSettings(process.env, { inMemory: values["in-memory"] === true });
  const functions = localFunctions(settings);
  const java = await checkJava();
  await checkPorts(settings.ports);

  log(`Starting DynamoDB Local (Java ${java.major}) on ${loopbackUrl(settings.ports.dynamodb)}…`);
  const dynamo = await startLocalDynamo({
    port: settings.ports.dynamodb,
    dataDir: settings.inMemory ? undefined : `${settings.stateDir}/dynamodb`,
  });
  killNow = dynamo.kill;
  closers.push({ name: "DynamoDB Local", close: dynamo.stop });
  const createdTables = await ensureLocalTables(dynamo.endpoint);

  const state = prepareLocalState(settings.stateDir, {
    api: loopbackUrl(settings.ports.http),
    procureCore: loopbackUrl(settings.ports.procureCore),
    a55: loopbackUrl(settings.ports.a55),
  });
  const { upstream } = state.credentials;

  const procureCore = await startProcureCoreSandbox({
    port: settings.ports.procureCore,
    apps: { ...DEFAULT_APPS, [upstream.appId]: upstream.appSecret },
    demo: true,
  });
  closers.push({ name: "Procure-Core sandbox", close: procureCore.close });
  const a55 = await startA55Sandbox({
    port: settings.ports.a55,
    staticTokens: {
      [upstream.a55AccessToken]: { clientId: A55_SERVICE_CLIENT_ID, wallets: [A55_DEMO_WALLET] },
    },
    demo: true,
  });
  closers.push({ name: "A55 sandbox", close: a55.close });

  const stack = await startLocalStack({
    httpPort: settings.ports.http,
    // Each function given what its deployed one is, resolved to the local pieces (service-env.ts).
    ...withLocalEnvironments(functions, settings, state.secretsFile, process.env),
    root: REPO_ROOT,
    log,
    // The audit table's stream → the outbox relay → the bus (the front door's EventBridge endpoint).
    startStreamSource: async ({ table, invoke }) => {
      const source = await startDynamoStreamSource({
        endpoint: dynamo.endpoint,
        tableName: LOCAL_TABLES[table],
        stateDir: settings.inMemory ? undefined : settings.stateDir,
        invoke: (event) => invoke(event),
        log,
      });
      return { close: () => source.stop(), failures: () => source.failureQueue.messages() };
    },
  });
  closers.push({ name: "functions and their triggers", close: stack.close });
  // What `cancelctl dlq` reads, as `sst deploy` writes .sst/outputs.json for a deployed stage.
  const busTrigger = functions.find((fn) => fn.name === "cancel-requested")?.trigger;
  if (busTrigger?.kind === "sqs") {
    const removeOutputs = writeLocalOutputs(settings.stateDir, stack.url, stack.sqs, {
      workQueue: busTrigger.queue,
      deadLetterQueue: busTrigger.deadLetterQueue,
    });
    closers.push({ name: "outputs file", close: removeOutputs });
  }

  log(
    bannerText({
      settings,
      functions,
      secretsFile: state.secretsFile,
      clientEnvFile: state.clientEnvFile,
      createdCredentials: state.created,
      createdTables,
      cwd: process.cwd(),
    }),
  );
};

const isEntryPoint =
  process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);

if (isEntryPoint) {
  main().catch(async (error: unknown) => {
    const expected = error instanceof PreflightError || error instanceof SettingsError;
    const usage =
      error instanceof TypeError && (error as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION";
    console.error(
      expected || usage
        ? `npm start: ${(error as Error).message}`
        : `npm start failed: ${(error as Error)?.stack ?? String(error)}`,
    );
    if (usage) console.error(USAGE);
    await stopAll();
    process.exit(usage ? 64 : 1);
  });
}
