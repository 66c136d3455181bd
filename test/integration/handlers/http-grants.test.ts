import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { UNAUTHENTICATED_MESSAGE } from "#handlers/http/error-response.ts";
import { A55_DEMO_OTHER_WALLET, A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";
import type { GrantAppId } from "#test/support/grant-clients.ts";
import { useGrantedHandlerKit } from "#test/support/granted-handler-kit.ts";

/**
 * Grants per client (issue 18, Deliver 1), through the HTTP handler on DynamoDB Local: each
 * route asks its grant before any read, upstream call or write (route-grants.ts), wallets
 * scope charges on both routes that reach A55, operator reads are the operator's, and a
 * client past its `expiresAt` is refused like an unknown one.
 */
describe("http-api handler: what each client's grant allows", () => {
  const { kit, clients } = useGrantedHandlerKit("http-grants");

  const as = (appId: GrantAppId, input: { method: string; path: string; body?: string }) =>
    kit.http(
      kit.signed({ ...input, app: clients.apps[appId], headers: { "idempotency-key": randomUUID() } }),
    );
  const cancelOrder = (appId: GrantAppId, orderId: string, body: unknown) =>
    as(appId, { method: "POST", path: `/api/v1/orders/${orderId}/cancel`, body: JSON.stringify(body) });
  const orderId = (): string => `order-${randomUUID().slice(0, 8)}`;
  const sentUpstream = (): number => kit.procureCore.requests.count() + kit.a55.seen().length;

  describe("wallets, on every route that reaches A55", () => {
    it("order route: a charge in a wallet the storefront holds no grant for is refused before the intent, any write or any call", async () => {
      // Prepare
      const id = orderId();
      const intentId = kit.newIntent("SUBMITTED");
      const chargeUuid = kit.newCharge("pending", A55_DEMO_OTHER_WALLET);
      const sentBefore = sentUpstream();

      // Act
      const response = await cancelOrder("shop-a", id, {
        intentId,
        charge: { chargeUuid, walletUuid: A55_DEMO_OTHER_WALLET },
      });

      // Assess
      expect(response.statusCode).toBe(403);
      expect(response.body).toEqual({
        error: {
          code: "forbidden",
          message: "This client may not act on that wallet",
          reason: "wallet-scope",
        },
      });
      expect(sentUpstream()).toBe(sentBefore);
      expect(kit.procureCore.intents.get(intentId)?.status).toBe("SUBMITTED");
      expect(kit.a55.charges.get(chargeUuid)?.status).toBe("pending");
      expect(await kit.audit({ type: "order", id }, "shop-a")).toEqual([]);
      expect(await kit.audit({ type: "intent", id: intentId })).toEqual([]);
    });

    it("order route: the storefront's own wallet is cancelled (200)", async () => {
      const intentId = kit.newIntent("SUBMITTED");
      const chargeUuid = kit.newCharge("pending");

      const response = await cancelOrder("shop-a", orderId(), {
        intentId,
        charge: { chargeUuid, walletUuid: A55_DEMO_WALLET },
      });

      expect(response.statusCode).toBe(200);
      expect(response.body).toMatchObject({ outcome: "CANCELLED" });
      expect(kit.a55.effects.count(chargeUuid)).toBe(1);
    });

    it('order route: a client without charges "write" may cancel an order\'s intent, never its charge', async () => {
      const chargeUuid = kit.newCharge("pending");
      const sentBefore = sentUpstream();

      const withCharge = await cancelOrder("shop-intents-only", orderId(), {
        intentId: kit.newIntent("SUBMITTED"),
        charge: { chargeUuid, walletUuid: A55_DEMO_WALLET },
      });
      const sentAfterRefusal = sentUpstream();
      const intentOnly = await cancelOrder("shop-intents-only", orderId(), {
        intentId: kit.newIntent("SUBMITTED"),
      });

      expect(withCharge.statusCode).toBe(403);
      expect(withCharge.body).toEqual({
        error: {
          code: "forbidden",
          message: `This client's grant does not allow this request: it needs charges: "write"`,
          reason: "grant",
        },
      });
      expect(sentAfterRefusal).toBe(sentBefore);
      expect(kit.a55.charges.get(chargeUuid)?.status).toBe("pending");
      expect(intentOnly.statusCode).toBe(200);
    });

    it("charge route: a token whose grant names the demo wallet cancels there, and nowhere else", async () => {
      const other = kit.newCharge("pending", A55_DEMO_OTHER_WALLET);
      const own = kit.newCharge("pending");
      const charge = (uuid: string, wallet: string) =>
        kit.http(
          kit.bearer({
            method: "POST",
            path: `/api/v1/bank/wallet/charge/${uuid}/cancel/${wallet}/`,
            token: clients.tokens.pos,
          }),
        );
      const seenBefore = kit.a55.seen().length;

      const refused = await charge(other, A55_DEMO_OTHER_WALLET);
      const seenAfterRefusal = kit.a55.seen().length;
      const allowed = await charge(own, A55_DEMO_WALLET);

      expect(refused.statusCode).toBe(403);
      expect(refused.body).toEqual({
        charge_uuid: other,
        status: "error",
        message: [
          {
            code: "FORBIDDEN",
            source: "wallet-scope",
            description: "This client may not act on that wallet",
          },
        ],
      });
      expect(seenAfterRefusal).toBe(seenBefore);
      expect(kit.a55.charges.get(other)?.status).toBe("pending");
      expect(allowed.statusCode).toBe(200);
      expect(kit.a55.effects.count(own)).toBe(1);
    });

    it('an app with "grants": "all" (every wallet) passes the wallet check: its request reaches A55', async () => {
      const chargeUuid = kit.newCharge("pending", A55_DEMO_OTHER_WALLET);
      const seenBefore = kit.a55.seen().length;

      const response = await kit.http(
        kit.signed({
          method: "POST",
          path: `/api/v1/orders/${orderId()}/cancel`,
          body: JSON.stringify({ charge: { chargeUuid, walletUuid: A55_DEMO_OTHER_WALLET } }),
          headers: { "idempotency-key": randomUUID() },
        }),
      );

      // A55 itself refuses the service's token on that wallet: the answer is A55's, not the grant's.
      expect(response.statusCode).not.toBe(401);
      expect(response.body).not.toMatchObject({ error: { code: "forbidden" } });
      expect(kit.a55.seen().length).toBeGreaterThan(seenBefore);
    });
  });

  describe("bulk jobs act with the submitter's grant, item by item", () => {
    const submitBulk = (appId: GrantAppId, items: unknown[]) =>
      as(appId, {
        method: "POST",
        path: "/api/v1/bulk-cancellations",
        body: JSON.stringify({ reason: "supplier outage", items }),
      });

    it("a charge item in a wallet the client holds no grant for: 403 naming the line, nothing created", async () => {
      // Prepare
      const allowed = kit.newCharge("pending");
      const elsewhere = kit.newCharge("pending", A55_DEMO_OTHER_WALLET);

      const jobsOfShop = async () =>
        (await kit.container.bulk.due(Date.now() + 86_400_000, 1_000)).filter(
          (job) => job.owner === "shop-bulk",
        );
      const jobsBefore = (await jobsOfShop()).length;

      // Act
      const response = await submitBulk("shop-bulk", [
        { type: "charge", chargeUuid: allowed, walletUuid: A55_DEMO_WALLET },
        {
          type: "order",
          orderId: orderId(),
          charge: { chargeUuid: elsewhere, walletUuid: A55_DEMO_OTHER_WALLET },
        },
      ]);

      // Assess
      expect(response.statusCode).toBe(403);
      expect(response.body).toMatchObject({
        error: {
          code: "forbidden",
          reason: "wallet-scope",
          issues: [{ line: 2, field: "walletUuid", why: "is a wallet this client may not act on" }],
        },
      });
      expect((await jobsOfShop()).length).toBe(jobsBefore);
    });

    it("an item of a kind the client may not cancel: 403 saying what the grant lacks", async () => {
      const response = await submitBulk("shop-intents-bulk", [
        { type: "intent", id: kit.newIntent("SUBMITTED") },
        { type: "charge", chargeUuid: kit.newCharge("pending"), walletUuid: A55_DEMO_WALLET },
      ]);

      expect(response.statusCode).toBe(403);
      expect(response.body).toMatchObject({
        error: { reason: "grant", issues: [{ line: 2, field: "type", why: 'needs charges: "write"' }] },
      });
    });

    it("items the grant allows: the job is accepted", async () => {
      const jobsOfShop = async () =>
        (await kit.container.bulk.due(Date.now() + 86_400_000, 1_000)).filter(
          (job) => job.owner === "shop-bulk",
        );
      const jobsBefore = (await jobsOfShop()).length;

      const response = await submitBulk("shop-bulk", [
        { type: "intent", id: kit.newIntent("SUBMITTED") },
        { type: "charge", chargeUuid: kit.newCharge("pending"), walletUuid: A55_DEMO_WALLET },
      ]);

      expect(response.statusCode).toBe(202);
      expect((await jobsOfShop()).length).toBe(jobsBefore + 1);
    });
  });

  describe('bulk jobs: reading needs bulk "read", an operator reads every client\'s, only the submitter stops', () => {
    const submitted = async (): Promise<string> => {
      const response = await as("shop-bulk", {
        method: "POST",
        path: "/api/v1/bulk-cancellations",
        body: JSON.stringify({ items: [{ type: "intent", id: kit.newIntent("SUBMITTED") }] }),
      });
      expect(response.statusCode).toBe(202);
      return (response.body as { id: string }).id;
    };

    it('an operator with bulk "read" reads another client\'s job and its items, and may not stop it', async () => {
      const id = await submitted();

      const status = await as("ops-bulk", { method: "GET", path: `/api/v1/bulk-cancellations/${id}` });
      const items = await as("ops-bulk", { method: "GET", path: `/api/v1/bulk-cancellations/${id}/items` });
      const stop = await as("ops-bulk", { method: "POST", path: `/api/v1/bulk-cancellations/${id}/stop` });

      expect(status.statusCode).toBe(200);
      expect(status.body).toMatchObject({ id, progress: { total: 1 } });
      expect(items.statusCode).toBe(200);
      expect(stop.statusCode).toBe(403);
      expect(stop.body).toMatchObject({
        error: { reason: "grant", message: expect.stringContaining('bulk: "write"') },
      });
    });

    it("a client that only reads jobs sees its own only (another's is 404), and may not submit", async () => {
      const id = await submitted();

      const other = await as("shop-bulk-reader", { method: "GET", path: `/api/v1/bulk-cancellations/${id}` });
      const submit = await as("shop-bulk-reader", {
        method: "POST",
        path: "/api/v1/bulk-cancellations",
        body: JSON.stringify({ items: [{ type: "intent", id: kit.newIntent("SUBMITTED") }] }),
      });

      expect(other.statusCode).toBe(404);
      expect(submit.statusCode).toBe(403);
      expect(submit.body).toMatchObject({ error: { message: expect.stringContaining('bulk: "write"') } });
    });

    it('an operator without a bulk grant is refused jobs (403 naming bulk "read")', async () => {
      const id = await submitted();

      const response = await as("ops-desk", { method: "GET", path: `/api/v1/bulk-cancellations/${id}` });

      expect(response.statusCode).toBe(403);
      expect(response.body).toMatchObject({ error: { message: expect.stringContaining('bulk: "read"') } });
    });
  });

  describe("operator reads", () => {
    const today = (): string => new Date().toISOString().slice(0, 10);
    const operatorRoutes = (): [string, string][] => [
      ["daily report", `/api/v1/reports/daily/${today()}`],
      ["open list", "/api/v1/cancellations?state=open"],
      ["stuck list", "/api/v1/cancellations?state=stuck"],
    ];

    it("a storefront is refused the daily report and the open list (403), whatever exists", async () => {
      const answers = [];
      for (const [name, path] of operatorRoutes()) {
        const response = await as("shop-a", { method: "GET", path });
        answers.push({ name, statusCode: response.statusCode, body: response.body });
      }

      expect(answers).toEqual(
        operatorRoutes().map(([name]) => ({
          name,
          statusCode: 403,
          body: {
            error: {
              code: "forbidden",
              message: `This client's grant does not allow this request: it needs operator: "read"`,
              reason: "grant",
            },
          },
        })),
      );
    });

    it("an operator reads them (200)", async () => {
      await cancelOrder("shop-a", orderId(), { intentId: kit.newIntent("PROCESSING") });

      const statuses = [];
      for (const [name, path] of operatorRoutes()) {
        statuses.push([name, (await as("ops-desk", { method: "GET", path })).statusCode]);
      }

      expect(statuses).toEqual(operatorRoutes().map(([name]) => [name, 200]));
    });

    it("a read-only operator cancels nothing: intent and order routes answer 403, nothing is sent", async () => {
      const intentId = kit.newIntent("SUBMITTED");
      const sentBefore = sentUpstream();

      const intent = await as("ops-desk", { method: "POST", path: `/api/v1/intents/${intentId}/cancel` });
      const order = await cancelOrder("ops-desk", orderId(), { intentId });

      expect([intent.statusCode, order.statusCode]).toEqual([403, 403]);
      expect(intent.body).toMatchObject({ code: 40301, data: { reason: "grant" } });
      expect(sentUpstream()).toBe(sentBefore);
      expect(kit.procureCore.intents.get(intentId)?.status).toBe("SUBMITTED");
    });
  });

  describe("expiry", () => {
    it("an app past its expiresAt gets the same 401 as an unknown app, with its own valid signature", async () => {
      const intentId = kit.newIntent("SUBMITTED");
      const path = `/api/v1/intents/${intentId}/cancel`;

      const expired = await as("shop-expired", { method: "POST", path });
      const unknown = await kit.http(
        kit.signed({ method: "POST", path, app: { appId: "nobody-app", secret: "whatever" } }),
      );

      expect(expired.statusCode).toBe(401);
      expect(expired.body).toEqual(unknown.body);
      expect(expired.body).toMatchObject({ code: 40100, data: { message: UNAUTHENTICATED_MESSAGE } });
      expect(kit.procureCore.intents.get(intentId)?.status).toBe("SUBMITTED");
    });

    it("a token past its expiresAt gets the same 401 as an unknown token", async () => {
      const chargeUuid = kit.newCharge("pending");
      const path = `/api/v1/bank/wallet/charge/${chargeUuid}/cancel/${A55_DEMO_WALLET}/`;

      const expired = await kit.http(kit.bearer({ method: "POST", path, token: clients.tokens.posExpired }));
      const unknown = await kit.http(kit.bearer({ method: "POST", path, token: "pos_nobody_issued_this" }));

      expect(expired.statusCode).toBe(401);
      expect(expired.body).toEqual(unknown.body);
      expect(kit.a55.charges.get(chargeUuid)?.status).toBe("pending");
    });
  });
});
