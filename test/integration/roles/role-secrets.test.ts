/**
 * Each function as deployed: its container built from exactly the environment its manifest
 * entry gives it (secret ARNs, not the local secrets file), reading its secrets through
 * Secrets Manager under its role (a guarded stand-in) while its DynamoDB and SQS calls are
 * judged by the same role (the handler kit). One path per function that reads each secret it
 * uses: the secrets it reads are exactly those its manifest entry grants.
 */
import { randomUUID } from "node:crypto";
import { SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";
import { FUNCTIONS, type FunctionName } from "#manifest/function-manifest.ts";
import {
  environmentOf,
  secretsOf,
  triggerQueuesOf,
  type VariableSource,
} from "#manifest/function-resources.ts";
import { type HandlerKit, startHandlerKit } from "#test/support/handler-kit.ts";
import { eventBridgeEvent, lambdaContext, scheduledEvent } from "#test/support/lambda-events.ts";
import { guardClient, takeRefusals } from "#test/support/role-guard.ts";
import { secretsManagerStandIn, testSecretArn } from "#test/support/secrets-manager-stand-in.ts";
import { buildBusWiring, setBusWiring } from "#wiring/bus-wiring.ts";
import { readConfig } from "#wiring/config.ts";
import { buildContainer, setContainer } from "#wiring/container.ts";

const DAY_MS = 86_400_000;

describe("each function built from its manifest environment reads exactly the secrets its role grants", () => {
  let kit: HandlerKit;
  let sqs: SQSClient;

  beforeAll(async () => {
    kit = await startHandlerKit({
      name: "role-secrets",
      dynamoEndpoint: inject("dynamoEndpoint"),
      processingCancelDelayMs: 100,
      env: { CONTINUATION_FIRST_CHECK: "100ms" },
    });
    sqs = new SQSClient({
      region: "us-east-1",
      endpoint: kit.busQueue.env.SQS_ENDPOINT,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      maxAttempts: 2,
    });
    guardClient(sqs, "sqs", {
      names: { queues: { [kit.busQueue.queue.url]: triggerQueuesOf(FUNCTIONS.CancelRequested).work ?? "" } },
    });
  });
  afterEach(() => {
    setContainer(kit.container);
    expect(takeRefusals()).toEqual([]);
  });
  afterAll(async () => {
    sqs?.destroy();
    await kit?.close();
  });

  /** Makes the handlers' container the one `name` builds from its manifest environment; returns the secrets it reads. */
  const deployedAs = (name: FunctionName): string[] => {
    const fn = FUNCTIONS[name];
    const resolve = (source: VariableSource): string => {
      switch (source.kind) {
        case "table-name":
          return source.table === "idempotency" ? kit.tables.idempotencyTable : kit.tables.auditTable;
        case "queue-url":
          return kit.busQueue.queue.url;
        case "bus-name":
          return "cancellation-test";
        case "secret-arn":
          return testSecretArn(source.secret);
        case "value":
          return source.value;
      }
    };
    const env = Object.fromEntries(
      Object.entries(environmentOf(fn)).map(([key, source]) => [key, resolve(source)]),
    );
    const secrets = secretsManagerStandIn(kit.secretsFile, name);
    // The endpoints and the wider budget margin are the test machine's, as the kit's own container has them.
    const config = readConfig({
      ...env,
      SQS_ENDPOINT: kit.busQueue.env.SQS_ENDPOINT,
      UPSTREAM_BUDGET_MARGIN_MS: "3000",
    });
    const container = buildContainer(config, undefined, {
      dynamoDb: kit.dynamo,
      secretsManager: secrets.client,
    });
    if (fn.trigger.kind === "work-queue") setBusWiring(buildBusWiring(container, sqs));
    setContainer(container);
    return secrets.served;
  };

  it("HttpApi: the callers' credentials, Procure-Core's and A55's", async () => {
    const served = deployedAs("HttpApi");

    const intent = await kit.http(
      kit.signed({ method: "POST", path: `/api/v1/intents/${kit.newIntent("SUBMITTED")}/cancel` }),
    );
    const charge = await kit.http(
      kit.bearer({
        method: "POST",
        path: `/api/v1/bank/wallet/charge/${kit.newCharge("pending")}/cancel/${A55_DEMO_WALLET}/`,
        body: "{}",
      }),
    );

    expect([intent.statusCode, charge.statusCode]).toEqual([200, 200]);
    expect([...new Set(served)].sort()).toEqual(secretsOf(FUNCTIONS.HttpApi).sort());
  });

  it("CancelRequested: Procure-Core's and A55's", async () => {
    const served = deployedAs("CancelRequested");

    const intent = await kit.deliverBus(
      eventBridgeEvent({ target: { type: "intent", id: kit.newIntent("SUBMITTED") } }),
    );
    const charge = await kit.deliverBus(
      eventBridgeEvent({
        target: { type: "charge", chargeUuid: kit.newCharge("pending"), walletUuid: A55_DEMO_WALLET },
      }),
    );

    expect([...intent.verdicts, ...charge.verdicts].map((v) => v.verdict)).toEqual([
      { kind: "settled", outcome: "CANCELLED", replayed: false },
      { kind: "settled", outcome: "CANCELLED", replayed: false },
    ]);
    expect([...new Set(served)].sort()).toEqual(secretsOf(FUNCTIONS.CancelRequested).sort());
  });

  it("ExpirySweep: Procure-Core's only", async () => {
    const intentId = kit.newIntent("SUBMITTED", { createdAt: Date.now() - 2 * DAY_MS });
    const served = deployedAs("ExpirySweep");

    const summary = await kit.handlers.sweep(scheduledEvent(), lambdaContext({ remainingMs: 120_000 }));

    expect(summary).toMatchObject({ failed: 0 });
    expect(kit.procureCore.intents.get(intentId)?.status).toBe("CANCELLED");
    expect([...new Set(served)].sort()).toEqual(secretsOf(FUNCTIONS.ExpirySweep).sort());
  });

  it("Continuation: Procure-Core's and A55's", async () => {
    // Prepare: an order accepted over HTTP (the kit's own container), waiting on its intent.
    const orderId = `order-${randomUUID().slice(0, 8)}`;
    const chargeUuid = kit.newCharge("pending");
    const accepted = await kit.http(
      kit.signed({
        method: "POST",
        path: `/api/v1/orders/${orderId}/cancel`,
        body: JSON.stringify({
          intentId: kit.newIntent("PROCESSING"),
          charge: { chargeUuid, walletUuid: A55_DEMO_WALLET },
        }),
        headers: { "idempotency-key": randomUUID() },
      }),
    );
    expect(accepted.statusCode).toBe(202);
    const served = deployedAs("Continuation");

    // Act: runs until the charge step is done.
    for (let run = 0; run < 40 && kit.a55.effects.count(chargeUuid) === 0; run++) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      await kit.handlers.continuation({}, lambdaContext({ remainingMs: 30_000 }));
    }

    // Assess
    expect(kit.a55.effects.count(chargeUuid)).toBe(1);
    expect([...new Set(served)].sort()).toEqual(secretsOf(FUNCTIONS.Continuation).sort());
  });
});
