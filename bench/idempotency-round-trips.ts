/**
 * Measures, on DynamoDB Local, the DynamoDB round trips of AWS Lambda Powertools
 * idempotency (2.35.0, DynamoDBPersistenceLayer) against this service's store, and how
 * each behaves when a key is in progress or its lock expired. Figures feed
 * docs/decisions/0001-idempotency-store.md.
 *
 * Run: node_modules/.bin/node bench/idempotency-round-trips.ts
 */
import { randomUUID } from "node:crypto";
import { registerHooks } from "node:module";
import { CreateTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Context } from "aws-lambda";
import { DynamoAuditLog } from "#adapters/dynamo/audit-log.ts";
import { DynamoIdempotencyStore } from "#adapters/dynamo/idempotency-store.ts";
import { DynamoUnitOfWork } from "#adapters/dynamo/unit-of-work.ts";
import type { CancelOutcome } from "#core/outcome.ts";
import type { AuditRecord } from "#core/ports.ts";
import { JVM_DEFAULTS } from "#local/dynamo-local/launcher.ts";
import { startDynamoLocal } from "#test/support/dynamo-local.ts";
import { createLocalDynamoClient, createTestTables } from "#test/support/dynamo-tables.ts";
import { countRoundTrips, type RoundTripCounter } from "#test/support/round-trip-counter.ts";

// Powertools imports @aws-sdk/util-dynamodb, an optional peer this project does not
// install; fall back to a pure marshall/unmarshall stand-in only when it is missing.
let usedShim = false;
registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier !== "@aws-sdk/util-dynamodb") return nextResolve(specifier, context);
    try {
      return nextResolve(specifier, context);
    } catch {
      usedShim = true;
      return { url: new URL("./support/util-dynamodb-shim.ts", import.meta.url).href, shortCircuit: true };
    }
  },
});
const { IdempotencyConfig, makeIdempotent } = await import("@aws-lambda-powertools/idempotency");
const { DynamoDBPersistenceLayer } = await import("@aws-lambda-powertools/idempotency/dynamodb");

const outcome = (id: string): CancelOutcome => ({
  type: "CANCELLED",
  target: { type: "intent", id },
  intent: {
    id,
    status: "CANCELLED",
    updatedAt: new Date().toISOString(),
    cancelledAt: new Date().toISOString(),
  },
});

const auditOf = (id: string): AuditRecord => ({
  id: randomUUID(),
  at: new Date().toISOString(),
  target: { type: "intent", id },
  trigger: "http",
  actor: "bench",
  outcome: "CANCELLED",
  latencyMs: 1,
  correlationId: randomUUID(),
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Round trips of one step: total and per command. */
const measure = async <T>(counter: RoundTripCounter, step: () => Promise<T>) => {
  counter.reset();
  const value = await step();
  return { value, total: counter.total(), commands: counter.byCommand() };
};

const local = await startDynamoLocal({ jvmOptions: JVM_DEFAULTS });
const clients: DynamoDBClient[] = [];
try {
  // ---- Setup: our tables, and a Powertools table with its default layout (`id` key).
  const client = createLocalDynamoClient(local.endpoint);
  const ptClient = createLocalDynamoClient(local.endpoint);
  clients.push(client, ptClient);
  const tables = await createTestTables(client, "bench");
  const ptTable = `bench-powertools-${randomUUID().slice(0, 8)}`;
  await client.send(
    new CreateTableCommand({
      TableName: ptTable,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
    }),
  );
  const ours = countRoundTrips(client);
  const theirs = countRoundTrips(ptClient);
  const store = new DynamoIdempotencyStore({ client, ...tables });
  const work = new DynamoUnitOfWork({ client, ...tables });
  const auditForPowertools = new DynamoAuditLog({ client: ptClient, auditTable: tables.auditTable });

  let remainingMs = 30_000;
  const config = new IdempotencyConfig({
    eventKeyJmesPath: "key",
    payloadValidationJmesPath: "payload",
    expiresAfterSeconds: 24 * 60 * 60,
  });
  config.registerLambdaContext({ getRemainingTimeInMillis: () => remainingMs } as unknown as Context);
  const persistenceStore = new DynamoDBPersistenceLayer({ tableName: ptTable, awsSdkV3Client: ptClient });
  const gates: Promise<void>[] = [];
  let calls = 0;
  const cancel = makeIdempotent(
    async (event: { key: string; payload: { intentId: string } }) => {
      calls += 1;
      const call = calls;
      await (gates[call - 1] ?? Promise.resolve());
      return { ...outcome(event.payload.intentId), call };
    },
    { persistenceStore, config },
  );

  // ---- 1. First call and replay.
  const firstEvent = { key: randomUUID(), payload: { intentId: "i-1" } };
  const ptFirst = await measure(theirs, () => cancel(firstEvent));
  const ptAudit = await measure(theirs, () => auditForPowertools.append(auditOf("i-1")));
  const ptReplay = await measure(theirs, () => cancel(firstEvent));

  const scopeKey = randomUUID();
  const now = Date.now();
  const ourFirst = await measure(ours, async () => {
    const begin = await store.begin({ scopeKey, payload: { intentId: "i-1" }, now, lockUntil: now + 30_000 });
    if (begin.kind !== "acquired") throw new Error(`unexpected ${begin.kind}`);
    return work.finishAttempt(begin.lease, { outcome: outcome("i-1"), audits: [auditOf("i-1")], now });
  });
  const ourReplay = await measure(ours, () =>
    store.begin({ scopeKey, payload: { intentId: "i-1" }, now: now + 1, lockUntil: now + 30_000 }),
  );

  // ---- 2. Same key while the first call is still running.
  let openGate = (): void => {};
  calls = 0;
  gates.length = 0;
  gates.push(new Promise<void>((resolve) => (openGate = resolve)));
  const busyEvent = { key: randomUUID(), payload: { intentId: "i-2" } };
  const running = cancel(busyEvent);
  await sleep(100);
  const ptBusy = await measure(theirs, () =>
    cancel(busyEvent).then(
      () => ({ error: "none", carriesLockExpiry: false }),
      (error: Error & { existingRecord?: unknown }) => ({
        error: error.name,
        carriesLockExpiry: error.existingRecord !== undefined,
      }),
    ),
  );
  openGate();
  await running;
  const busyKey = randomUUID();
  await store.begin({ scopeKey: busyKey, payload: {}, now, lockUntil: now + 30_000 });
  const ourBusy = await measure(ours, () =>
    store.begin({ scopeKey: busyKey, payload: {}, now: now + 1_000, lockUntil: now + 31_000 }),
  );

  // ---- 3. A lock expires, a retry takes the key over and finishes, then the first call finishes late.
  let openFirst = (): void => {};
  let openSecond = (): void => {};
  calls = 0;
  gates.length = 0;
  gates.push(new Promise<void>((resolve) => (openFirst = resolve)));
  gates.push(new Promise<void>((resolve) => (openSecond = resolve)));
  const lateEvent = { key: randomUUID(), payload: { intentId: "i-3" } };
  remainingMs = 50;
  const first = cancel(lateEvent);
  await sleep(200);
  remainingMs = 30_000;
  const second = cancel(lateEvent);
  await sleep(100);
  openSecond();
  await second;
  openFirst();
  const firstSettled = await first.then(
    () => "resolved",
    (error: Error) => error.name,
  );
  const ptLateReplay = (await cancel(lateEvent)) as { call: number };

  const lateKey = randomUUID();
  const lateStart = Date.now();
  const ourHolder1 = await store.begin({
    scopeKey: lateKey,
    payload: {},
    now: lateStart,
    lockUntil: lateStart + 50,
  });
  const takeover = await measure(ours, () =>
    store.begin({ scopeKey: lateKey, payload: {}, now: lateStart + 200, lockUntil: lateStart + 30_000 }),
  );
  const ourHolder2 = takeover.value;
  if (ourHolder1.kind !== "acquired" || ourHolder2.kind !== "acquired") throw new Error("setup failed");
  const second2 = await work.finishAttempt(ourHolder2.lease, {
    outcome: outcome("second"),
    audits: [auditOf("i-3")],
    now: lateStart + 300,
  });
  const lateComplete = await measure(ours, () =>
    work.finishAttempt(ourHolder1.lease, {
      outcome: outcome("first"),
      audits: [auditOf("i-3")],
      now: lateStart + 400,
    }),
  );
  const ourLateReplay = await store.begin({
    scopeKey: lateKey,
    payload: {},
    now: lateStart + 500,
    lockUntil: lateStart + 1_000,
  });

  const results = {
    powertoolsVersion: "2.35.0",
    usedUtilDynamodbShim: usedShim,
    firstCall: {
      powertools: ptFirst.commands,
      powertoolsPlusAuditAppend: ptFirst.total + ptAudit.total,
      ours: ourFirst.commands,
    },
    replay: { powertools: ptReplay.commands, ours: ourReplay.commands },
    inProgress: {
      powertools: { ...ptBusy.commands, ...ptBusy.value },
      ours: { ...ourBusy.commands, result: ourBusy.value },
    },
    lateCompletionAfterTakeover: {
      powertools: {
        functionRuns: calls,
        lateCallSettled: firstSettled,
        replayReturnsCall: ptLateReplay.call,
        note: "call 2 completed first; a replay returning call 1 means the late completion overwrote it",
      },
      ours: {
        takeoverBeginRoundTrips: takeover.commands,
        takeoverComplete: second2,
        lateComplete: lateComplete.value,
        lateCompleteRoundTrips: lateComplete.commands,
        replayOutcomeTarget:
          ourLateReplay.kind === "replay" ? ourLateReplay.outcome.target.id : ourLateReplay.kind,
      },
    },
  };
  console.log(JSON.stringify(results, null, 2));
  ours.detach();
  theirs.detach();
} finally {
  for (const client of clients) client.destroy();
  await local.stop();
}
