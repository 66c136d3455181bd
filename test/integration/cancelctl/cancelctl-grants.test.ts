import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningFrontDoor } from "#local/stack/front-door.ts";
import type { GrantAppId } from "#test/support/grant-clients.ts";
import { useGrantedHandlerKit } from "#test/support/granted-handler-kit.ts";
import { startTestFrontDoor } from "#test/support/local-front-door.ts";
import { runCli } from "../../../bin/cancelctl/cli.ts";
import { OPERATOR_RIGHTS_HINT, OWNERSHIP_HINT } from "../../../bin/cancelctl/grant-hints.ts";

/**
 * cancelctl says when a command needs operator rights, and what a 404 of another client's
 * order may mean (issue 18, Deliver 5): the real CLI, signing as each client, through the
 * local front door to the HTTP handler, on DynamoDB Local.
 */
describe("cancelctl under grants", () => {
  const { kit, clients } = useGrantedHandlerKit("cancelctl-grants");
  let door: RunningFrontDoor;

  beforeAll(async () => {
    door = await startTestFrontDoor({ http: kit.handlers.http as never });
  });
  afterAll(async () => {
    await door?.close();
  });

  const run = async (appId: GrantAppId, ...argv: string[]) => {
    let out = "";
    const app = clients.apps[appId];
    const code = await runCli(
      argv,
      {
        CANCEL_API_URL: door.url,
        APP_ID: app.appId,
        APP_SECRET: app.secret,
        CANCEL_LOCAL_DIR: "/nonexistent",
      },
      { out: (text) => (out += `${text}\n`), err: () => {}, errIsTty: false },
    );
    return { code, out };
  };
  const today = new Date().toISOString().slice(0, 10);

  it("report and pending: a storefront gets FORBIDDEN (exit 2) and is told the command needs operator rights", async () => {
    const results = [await run("shop-a", "report", "--day", today), await run("shop-a", "pending")];

    for (const { code, out } of results) {
      expect(code).toBe(2);
      expect(out).toMatch(/^FORBIDDEN {2}/);
      // The hint on a line of its own, under the service's message: not escaped into it as a literal "\n".
      expect(out).toContain(`\n  ${OPERATOR_RIGHTS_HINT}`);
      expect(out).not.toContain("\\n");
    }
    expect((await run("ops-desk", "pending")).code).toBe(0);
  });

  it("order status: another client's order is NOT_FOUND with the ownership hint; the operator reads it with --owner", async () => {
    const orderId = `order-${randomUUID().slice(0, 8)}`;
    const cancelled = await run("shop-a", "order", "cancel", orderId, "--intent", kit.newIntent("SUBMITTED"));
    expect(cancelled.code).toBe(0);

    const others = await run("shop-b", "order", "status", orderId);
    const operator = await run("ops-desk", "order", "status", orderId, "--owner", "shop-a");
    const operatorTrail = await run("ops-desk", "audit", "order", orderId, "--owner", "shop-a");

    expect(others.code).toBe(2);
    expect(others.out).toMatch(/^NOT_FOUND {2}/);
    expect(others.out).toContain(OWNERSHIP_HINT);
    expect(operator.code).toBe(0);
    expect(operator.out).toMatch(new RegExp(`^CANCELLED  order ${orderId}: its cancellation`));
    expect(operatorTrail.code).toBe(0);
  });
});
