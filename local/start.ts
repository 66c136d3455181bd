/**
 * `npm start [-- --in-memory]`: the whole service on this machine, no AWS account.
 *
 * DynamoDB Local, the Procure-Core and A55 sandboxes, and the three Lambda handlers
 * behind local stand-ins for API Gateway, EventBridge and the schedule (local/stack/).
 * Ports, state directory and timer are set by CANCEL_LOCAL_* variables (stack/settings.ts).
 * Ctrl-C (SIGINT) or SIGTERM stops everything; a second Ctrl-C kills what is left.
 */
import { parseArgs } from "node:util";
import type { EventBridgeEvent } from "aws-lambda";
import { startA55Sandbox } from "#local/sandboxes/a55/a55-sandbox.ts";
import { A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";
import { DEFAULT_APPS, startProcureCoreSandbox } from "#local/sandboxes/procure-core/procure-core-sandbox.ts";
import { bannerText } from "./stack/banner.ts";
import { startLocalDynamo } from "./stack/dynamo-local.ts";
import { type RunningStreamSource, startDynamoStreamSource } from "./stack/dynamo-stream-source.ts";
import { prepareLocalState } from "./stack/first-run.ts";
import { startFrontDoor } from "./stack/front-door.ts";
import { invokeWithBudget } from "./stack/lambda-context.ts";
import { LocalEventBus } from "./stack/local-event-bus.ts";
import { checkJava, checkPorts, PreflightError } from "./stack/preflight.ts";
import { applyServiceEnvironment, importHandlers, serviceEnvironment } from "./stack/service-env.ts";
import { loopbackUrl, readLocalSettings, SettingsError } from "./stack/settings.ts";
import { SweepRunner, startSweepTimer } from "./stack/sweep-runner.ts";
import { ensureLocalTables, LOCAL_TABLES } from "./stack/tables.ts";

const USAGE = `Usage: npm start [-- --in-memory]

Runs cancellation-service locally: DynamoDB Local, the Procure-Core and A55 sandboxes,
the HTTP API, the event bus, the expiry sweep and the outbox relay.

  --in-memory   keep DynamoDB data in memory (default: CANCEL_LOCAL_DIR/dynamodb, .local/dynamodb)
  -h, --help    this text

Environment: CANCEL_LOCAL_DIR, CANCEL_LOCAL_HTTP_PORT (3000), CANCEL_LOCAL_DYNAMODB_PORT (8000),
CANCEL_LOCAL_PROCURE_CORE_PORT (4010), CANCEL_LOCAL_A55_PORT (4020),
CANCEL_LOCAL_SWEEP_INTERVAL_SECONDS (60, 0 = off), CANCEL_LOCAL_BUS_RETRY_DELAYS_MS (1000,2000);
service settings such as EXPIRY_AFTER or LOG_LEVEL pass through to the handlers.`;

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

  applyServiceEnvironment(serviceEnvironment(settings, state.secretsFile, process.env));
  const handlers = await importHandlers();

  const bus = new LocalEventBus({
    deliver: (event) =>
      invokeWithBudget("bus", (context) =>
        handlers.bus(event as EventBridgeEvent<"Cancel Requested", unknown>, context),
      ),
    retryDelaysMs: settings.busRetryDelaysMs,
    onDeadLetter: (dead) =>
      log(
        `[bus] dead-lettered ${dead.event.id} after ${dead.approximateInvokeCount} attempts: ${dead.error.errorMessage}`,
      ),
  });
  closers.push({ name: "event bus", close: () => bus.close() });
  const sweeps = new SweepRunner(handlers.sweep);
  let outbox: RunningStreamSource | undefined;
  const frontDoor = await startFrontDoor(settings.ports.http, {
    httpHandler: handlers.http,
    bus,
    sweeps,
    log,
    relayFailures: () => outbox?.failureQueue.messages() ?? [],
  });
  closers.push({ name: "HTTP server", close: frontDoor.close });
  // The audit table's stream → the outbox relay → the bus (the front door's EventBridge endpoint).
  outbox = await startDynamoStreamSource({
    endpoint: dynamo.endpoint,
    tableName: LOCAL_TABLES.audit,
    stateDir: settings.inMemory ? undefined : settings.stateDir,
    invoke: (event) => invokeWithBudget("relay", (context) => handlers.relay(event, context)),
    log,
  });
  closers.push({ name: "outbox relay", close: () => outbox?.stop() });
  const stopTimer = startSweepTimer(sweeps, settings.sweepIntervalMs, log);
  closers.push({ name: "sweep timer", close: stopTimer });

  log(
    bannerText({
      settings,
      secretsFile: state.secretsFile,
      clientEnvFile: state.clientEnvFile,
      createdCredentials: state.created,
      createdTables,
      cwd: process.cwd(),
    }),
  );
};

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
