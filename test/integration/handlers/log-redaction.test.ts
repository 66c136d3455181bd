import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";
import { captureOutput } from "#test/support/capture-output.ts";
import { type HandlerKit, startHandlerKit } from "#test/support/handler-kit.ts";

describe("handler logs never carry credentials", () => {
  let kit: HandlerKit;

  beforeAll(async () => {
    kit = await startHandlerKit({
      name: "log-redaction",
      dynamoEndpoint: inject("dynamoEndpoint"),
      logLevel: "DEBUG",
    });
  });
  afterAll(async () => {
    await kit?.close();
  });

  it("signed and bearer requests, refused ones and upstream retries log no secret, token or signature", async () => {
    // Prepare
    const intentId = kit.newIntent("SUBMITTED");
    const chargeUuid = kit.newCharge("pending");
    const signedCancel = kit.signed({
      method: "POST",
      path: `/api/v1/intents/${intentId}/cancel`,
      headers: { "idempotency-key": randomUUID() },
      body: JSON.stringify({ reason: "log check" }),
    });
    const badSignature = kit.signed({ method: "POST", path: `/api/v1/intents/${intentId}/cancel` });
    badSignature.headers["x-signature"] = "f".repeat(64);
    const order = kit.signed({
      method: "POST",
      path: `/api/v1/orders/order-logs/cancel`,
      headers: { "idempotency-key": randomUUID() },
      body: JSON.stringify({ intentId: kit.newIntent("SUBMITTED") }),
    });
    const unknownToken = "sf_token_that_nobody_issued";
    const sentSignatures = [signedCancel, badSignature, order].map((e) => e.headers["x-signature"] ?? "");

    // Act
    const statuses: number[] = [];
    const lines = await captureOutput(async () => {
      kit.procureCore.faults.update({ rateLimitBurst: 1 });
      statuses.push((await kit.http(signedCancel)).statusCode);
      statuses.push((await kit.http(badSignature)).statusCode);
      statuses.push((await kit.http(order)).statusCode);
      const chargePath = `/api/v1/bank/wallet/charge/${chargeUuid}/cancel/${A55_DEMO_WALLET}/`;
      statuses.push((await kit.http(kit.bearer({ method: "POST", path: chargePath }))).statusCode);
      statuses.push(
        (await kit.http(kit.bearer({ method: "POST", path: chargePath, token: unknownToken }))).statusCode,
      );
    });

    // Assess: the logs are really there (JSON lines about these requests)…
    expect(statuses).toEqual([200, 401, 200, 200, 401]);
    const logs = lines
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const messages = logs.map((log) => log.message);
    expect(messages).toContain("request answered");
    expect(messages).toContain("request refused");
    expect(messages).toContain("cancel finished");
    expect(messages).toContain("upstream call retried");
    const correlationIds = logs.map((log) => log.correlation_id);
    for (const event of [signedCancel, badSignature, order]) {
      expect(correlationIds).toContain(event.requestContext.requestId);
    }
    // …and none of them holds a credential.
    const credentials = [
      kit.app.secret,
      kit.clientToken,
      kit.wideClientToken,
      unknownToken,
      kit.upstreamSecrets.procureCoreAppSecret,
      kit.upstreamSecrets.a55AccessToken,
      ...sentSignatures,
    ];
    for (const line of lines) {
      for (const credential of credentials) expect(line).not.toContain(credential);
    }
  });

  it("an authentication failure answers alike but logs its precise reason and the app id, never the signature", async () => {
    const path = `/api/v1/intents/${kit.newIntent("SUBMITTED")}/cancel`;
    const unknownApp = kit.signed({ method: "POST", path, app: { appId: "nobody_app", secret: "x" } });
    const badSignature = kit.signed({ method: "POST", path });
    badSignature.headers["x-signature"] = "e".repeat(64);
    const stale = kit.signed({ method: "POST", path, timestampMs: Date.now() - 3_600_000 });

    const bodies: string[] = [];
    const lines = await captureOutput(async () => {
      for (const event of [unknownApp, badSignature, stale]) bodies.push((await kit.http(event)).rawBody);
    });

    expect(new Set(bodies).size).toBe(1);
    const refusals = lines
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((log) => log.message === "request refused");
    expect(refusals.map((log) => [log.correlation_id, log.status, log.authFailure, log.appId])).toEqual([
      [unknownApp.requestContext.requestId, 401, "unknown-app", "nobody_app"],
      [badSignature.requestContext.requestId, 401, "bad-signature", kit.app.appId],
      [stale.requestContext.requestId, 401, "stale-timestamp", kit.app.appId],
    ]);
    for (const line of lines) {
      for (const event of [unknownApp, badSignature, stale]) {
        expect(line).not.toContain(event.headers["x-signature"]);
      }
    }
  });
});
