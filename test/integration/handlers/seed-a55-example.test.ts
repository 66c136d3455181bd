import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { A55_DEMO_CHARGES } from "#local/sandboxes/a55/demo-charges.ts";
import { type RunningApiGateway, startApiGateway } from "#test/support/api-gateway-server.ts";
import { type HandlerKit, startHandlerKit } from "#test/support/handler-kit.ts";

const SEED_EXAMPLE = fileURLToPath(new URL("../../fixtures/seed-a55-example.mjs", import.meta.url));

/** Seed 001's own Node.js example, unchanged, against this service instead of A55: only the base URL differs. */
describe("seed 001's Node.js example against the http-api handler", () => {
  let kit: HandlerKit;
  let gateway: RunningApiGateway;

  beforeAll(async () => {
    kit = await startHandlerKit({ name: "seed-a55", dynamoEndpoint: inject("dynamoEndpoint") });
    gateway = await startApiGateway(kit.handlers.http);
  });
  afterAll(async () => {
    await gateway?.close();
    await kit?.close();
  });

  it("prints the seed's success line, and the charge is cancelled once", async () => {
    // Act: a child process with only the two variables the example reads.
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [SEED_EXAMPLE], {
      env: { A55_API_URL: gateway.url, A55_ACCESS_TOKEN: kit.clientToken },
      timeout: 15_000,
    });

    // Assess
    expect(stderr).toBe("");
    expect(stdout).toBe(`已取消:${A55_DEMO_CHARGES.cancellable}——状态:canceled\n`);
    expect(kit.a55.effects.count(A55_DEMO_CHARGES.cancellable)).toBe(1);
    expect(kit.a55.charges.get(A55_DEMO_CHARGES.cancellable)).toMatchObject({
      status: "canceled",
      cancelReason: "客户在发货前要求取消",
    });
  });

  it("run again with the same Idempotency-Key, it gets the replayed success, not a second cancel", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [SEED_EXAMPLE], {
      env: { A55_API_URL: gateway.url, A55_ACCESS_TOKEN: kit.clientToken },
      timeout: 15_000,
    });

    expect(stdout).toBe(`已取消:${A55_DEMO_CHARGES.cancellable}——状态:canceled\n`);
    expect(kit.a55.effects.count(A55_DEMO_CHARGES.cancellable)).toBe(1);
  });
});
