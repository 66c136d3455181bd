import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { busOwnerOf } from "#core/ownership.ts";
import { useGrantedHandlerKit } from "#test/support/granted-handler-kit.ts";
import { eventBridgeEvent } from "#test/support/lambda-events.ts";

const settled = (outcome: string, replayed = false) => ({ kind: "settled", outcome, replayed });

/**
 * Bus producers are named by the rule that admits them (issue 18, Deliver 2): a request's
 * owner and idempotency scope come from the event's `source`, never from what its detail says
 * of itself (`requestedBy` is a label on the trail). Two producers never meet, on a key or on
 * an order id, and no HTTP client reads a bus producer's order by naming itself in it.
 */
describe("cancel-requested handler: whose a bus request is", () => {
  const { kit, clients } = useGrantedHandlerKit("bus-ownership");

  const STOREFRONT = "storefront.orders";
  const MARKETPLACE = "marketplace.orders";

  it("two producers using the same idempotency key each get their own request (before: the second was refused as a reused key)", async () => {
    const key = `shared-key-${randomUUID()}`;
    const first = kit.newIntent("SUBMITTED");
    const second = kit.newIntent("SUBMITTED");

    const deliveries = [
      await kit.deliverBus(
        eventBridgeEvent(
          { target: { type: "intent", id: first }, idempotencyKey: key },
          { source: STOREFRONT },
        ),
      ),
      await kit.deliverBus(
        eventBridgeEvent(
          { target: { type: "intent", id: second }, idempotencyKey: key },
          { source: MARKETPLACE },
        ),
      ),
    ];

    expect(deliveries.flatMap((d) => d.verdicts.map((v) => v.verdict))).toEqual([
      settled("CANCELLED"),
      settled("CANCELLED"),
    ]);
    expect([kit.procureCore.effects.count(first), kit.procureCore.effects.count(second)]).toEqual([1, 1]);
    expect((await kit.audit({ type: "intent", id: second })).map((r) => r.owner)).toEqual([
      busOwnerOf(MARKETPLACE),
    ]);
  });

  it("two producers' orders of the same id are two orders, each in its producer's namespace", async () => {
    const orderId = `order-${randomUUID().slice(0, 8)}`;
    const intents = [kit.newIntent("SUBMITTED"), kit.newIntent("SUBMITTED")];

    const deliveries = [
      await kit.deliverBus(
        eventBridgeEvent(
          { target: { type: "order", orderId, intentId: intents[0] } },
          { source: STOREFRONT },
        ),
      ),
      await kit.deliverBus(
        eventBridgeEvent(
          { target: { type: "order", orderId, intentId: intents[1] } },
          { source: MARKETPLACE },
        ),
      ),
    ];

    expect(deliveries.flatMap((d) => d.verdicts.map((v) => v.verdict))).toEqual([
      settled("CANCELLED"),
      settled("CANCELLED"),
    ]);
    const intentOf = async (source: string) =>
      (await kit.container.deps.cancellations.get("order", orderId, busOwnerOf(source)))?.request.intentId;
    expect([await intentOf(STOREFRONT), await intentOf(MARKETPLACE)]).toEqual(intents);
  });

  it("requestedBy is a label: an event naming an HTTP client is its producer's, and that client reads it as absent", async () => {
    const orderId = `order-${randomUUID().slice(0, 8)}`;

    await kit.deliverBus(
      eventBridgeEvent(
        { target: { type: "order", orderId, intentId: kit.newIntent("SUBMITTED") }, requestedBy: "shop-a" },
        { source: STOREFRONT },
      ),
    );
    const [record] = await kit.audit({ type: "order", id: orderId }, busOwnerOf(STOREFRONT));
    const status = await kit.http(
      kit.signed({
        method: "GET",
        path: `/api/v1/orders/${orderId}/cancellation`,
        app: clients.apps["shop-a"],
      }),
    );
    const operator = await kit.http(
      kit.signed({
        method: "GET",
        path: `/api/v1/orders/${orderId}/cancellation?owner=${encodeURIComponent(busOwnerOf(STOREFRONT))}`,
        app: clients.apps["ops-desk"],
      }),
    );

    expect(record).toMatchObject({ owner: busOwnerOf(STOREFRONT), actor: `${STOREFRONT}/shop-a` });
    expect(status.statusCode).toBe(404);
    expect(operator.statusCode).toBe(200);
  });
});
