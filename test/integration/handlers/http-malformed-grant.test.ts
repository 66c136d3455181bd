import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { captureOutput } from "#test/support/capture-output.ts";
import { type HandlerKit, startHandlerKit } from "#test/support/handler-kit.ts";

/**
 * A malformed grant makes the whole `clients` secret invalid (issue 18, Deliver 1): no client
 * is served from a half-read secret, not even a well-formed one, and the error names the
 * client whose grant is wrong and the field, never a secret.
 */
describe("http-api handler: a clients secret with a malformed grant", () => {
  let kit: HandlerKit;
  const typoSecret = `typo_secret_${randomUUID()}`;

  beforeAll(async () => {
    kit = await startHandlerKit({
      name: "http-malformed-grant",
      dynamoEndpoint: inject("dynamoEndpoint"),
      logLevel: "ERROR",
      // "order" for "orders": a misspelt field must not quietly grant nothing.
      clients: { apps: { "shop-typo": { secrets: [typoSecret], grants: { order: "write" } } } },
    });
  });
  afterAll(async () => {
    await kit?.close();
  });

  it("refuses every request, the well-formed client's too, and logs the client and field, never a secret", async () => {
    const intentId = kit.newIntent("SUBMITTED");
    const answers: number[] = [];

    const lines = await captureOutput(async () => {
      answers.push(
        (await kit.http(kit.signed({ method: "POST", path: `/api/v1/intents/${intentId}/cancel` })))
          .statusCode,
      );
      answers.push(
        (await kit.http(kit.signed({ method: "GET", path: "/api/v1/orders/order-1/cancellation" })))
          .statusCode,
      );
    });

    expect(answers).toEqual([500, 500]);
    expect(kit.procureCore.intents.get(intentId)?.status).toBe("SUBMITTED");
    const errors = lines.filter((line) => line.includes('"level":"ERROR"'));
    expect(errors).toHaveLength(2);
    for (const line of errors) {
      expect(line).toContain("apps.shop-typo.grants.order");
      expect(line).toContain("is not a grant field");
      expect(line).not.toContain(typoSecret);
      expect(line).not.toContain(kit.app.secret);
    }
  });
});
