import { randomUUID } from "node:crypto";
import { DeleteItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { auditPartitionOf, toAuditItem } from "#adapters/dynamo/audit-item.ts";
import { toCancellationItem } from "#adapters/dynamo/cancellation-item.ts";
import { cancellationKeyOf } from "#adapters/dynamo/table-definitions.ts";
import { busOwnerOf } from "#core/ownership.ts";
import type { GrantAppId } from "#test/support/grant-clients.ts";
import { useGrantedHandlerKit } from "#test/support/granted-handler-kit.ts";
import { eventBridgeEvent } from "#test/support/lambda-events.ts";

/**
 * Orders cancelled before owners were recorded (docs/security.md, "Ownership"): their
 * cancellation and trail sit under the un-namespaced keys and carry no `owner`. An HTTP one is
 * the client's its `actor` names; a bus one nobody's, so only an operator reads it. Such an
 * order is made here from a fresh one, moved to the old keys with its owner taken out.
 */
describe("http-api handler: orders from before owners were recorded", () => {
  const { kit, clients } = useGrantedHandlerKit("http-pre-owner");

  /** Moves order `id` of `owner` to the keys it would have had before owners, without its owner. */
  const asPreOwner = async (id: string, owner: string): Promise<void> => {
    const { cancellations, audit } = kit.container.deps;
    const cancellation = await cancellations.get("order", id, owner);
    if (!cancellation) throw new Error(`order ${id} of ${owner} has no cancellation`);
    const { owner: _dropped, ...request } = cancellation.request;
    await kit.dynamo.send(
      new PutItemCommand({
        TableName: kit.tables.idempotencyTable,
        Item: toCancellationItem({ ...cancellation, request }),
      }),
    );
    await kit.dynamo.send(
      new DeleteItemCommand({
        TableName: kit.tables.idempotencyTable,
        Key: { pk: { S: cancellationKeyOf("order", id, owner).pk }, sk: { S: "STATE" } },
      }),
    );
    for (const record of (await audit.byTarget({ type: "order", id, owner }, { limit: 100 })).items) {
      const { owner: _gone, ...unowned } = record;
      await kit.dynamo.send(
        new PutItemCommand({ TableName: kit.tables.auditTable, Item: toAuditItem(unowned) }),
      );
      await kit.dynamo.send(
        new DeleteItemCommand({
          TableName: kit.tables.auditTable,
          Key: {
            pk: { S: auditPartitionOf({ type: "order", id, owner }) },
            sk: { S: `${record.at}#${record.id}` },
          },
        }),
      );
    }
  };

  const get = (appId: GrantAppId, path: string) =>
    kit.http(kit.signed({ method: "GET", path, app: clients.apps[appId] }));
  const statusOf = async (appId: GrantAppId, id: string, owner?: string) =>
    (
      await get(
        appId,
        `/api/v1/orders/${id}/cancellation${owner ? `?owner=${encodeURIComponent(owner)}` : ""}`,
      )
    ).statusCode;
  const trailOf = async (appId: GrantAppId, id: string, owner?: string) =>
    (
      await get(
        appId,
        `/api/v1/cancellations/order/${id}${owner ? `?owner=${encodeURIComponent(owner)}` : ""}`,
      )
    ).statusCode;

  it("an HTTP client's old order is still its own: it reads it, another client does not, the operator does by naming it", async () => {
    const id = `order-${randomUUID().slice(0, 8)}`;
    const cancelled = await kit.http(
      kit.signed({
        method: "POST",
        path: `/api/v1/orders/${id}/cancel`,
        body: JSON.stringify({ intentId: kit.newIntent("SUBMITTED") }),
        app: clients.apps["shop-a"],
        headers: { "idempotency-key": randomUUID() },
      }),
    );
    expect(cancelled.statusCode).toBe(200);
    await asPreOwner(id, "shop-a");

    expect(await kit.container.deps.cancellations.get("order", id, "shop-a")).toBeUndefined();
    expect([await statusOf("shop-a", id), await trailOf("shop-a", id)]).toEqual([200, 200]);
    expect([await statusOf("shop-b", id), await trailOf("shop-b", id)]).toEqual([404, 404]);
    expect([await statusOf("ops-desk", id, "shop-a"), await trailOf("ops-desk", id, "shop-a")]).toEqual([
      200, 200,
    ]);
  });

  it("a bus producer's old order is nobody's: no client reads it, even the one its requestedBy names; the operator does", async () => {
    const id = `order-${randomUUID().slice(0, 8)}`;
    const source = "storefront.orders";
    await kit.deliverBus(
      eventBridgeEvent(
        {
          target: { type: "order", orderId: id, intentId: kit.newIntent("SUBMITTED") },
          requestedBy: "shop-a",
        },
        { source },
      ),
    );
    await asPreOwner(id, busOwnerOf(source));

    expect([await statusOf("shop-a", id), await trailOf("shop-a", id)]).toEqual([404, 404]);
    expect([
      await statusOf("ops-desk", id, busOwnerOf(source)),
      await trailOf("ops-desk", id, busOwnerOf(source)),
    ]).toEqual([200, 200]);
  });
});
