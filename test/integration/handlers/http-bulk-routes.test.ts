import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type HandlerKit, startHandlerKit } from "#test/support/handler-kit.ts";
import { lambdaContext } from "#test/support/lambda-events.ts";

/**
 * The bulk routes and the work queue's consumer end to end, on DynamoDB Local and the local
 * SQS: submit (CSV and JSON), the driver's fan-out, the exported bus handler running the
 * items, status, items (JSON pages and CSV), stop, and every bad input the issue names.
 */
describe("bulk cancellations (HTTP routes + work queue)", () => {
  let kit: HandlerKit;

  beforeAll(async () => {
    kit = await startHandlerKit({
      name: "bulk-routes",
      dynamoEndpoint: inject("dynamoEndpoint"),
      bulkPacing: { recheckMs: 0 },
    });
  });
  afterAll(async () => {
    await kit?.close();
  });

  /** One run of the continuation function, which drives the due bulk jobs first. */
  const drive = () => kit.handlers.continuation({}, lambdaContext({ remainingMs: 30_000 }));
  const drainQueue = async () => {
    while (kit.busQueue.queue.counts().visible > 0) await kit.busQueue.deliverBatch(kit.handlers.bus);
  };
  const submit = (body: string, contentType: string, key: string, query = "") =>
    kit.http(
      kit.signed({
        method: "POST",
        path: `/api/v1/bulk-cancellations${query}`,
        headers: { "content-type": contentType, "idempotency-key": key },
        body,
      }),
    );
  const get = (path: string, headers: Record<string, string> = {}) =>
    kit.http(kit.signed({ method: "GET", path, headers }));

  it("a CSV job runs every line once through the work queue and ends DONE; items and the CSV report say how each ended", async () => {
    const [a, b] = [kit.newIntent("SUBMITTED"), kit.newIntent("COMPLETED")];
    const csv = `type,id\nintent,${a}\nintent,${b}\nintent,${a}\n`;

    const submitted = await submit(csv, "text/csv", `bulk-${a}`, "?reason=supplier%20outage");
    const replay = await submit(csv, "text/csv", `bulk-${a}`, "?reason=supplier%20outage");
    expect(submitted.statusCode).toBe(202);
    const job = submitted.body as { id: string; state: string; links: { self: string } };
    expect(submitted.headers.location).toBe(`/api/v1/bulk-cancellations/${job.id}`);
    expect(job).toMatchObject({ state: "QUEUED", total: 3, counts: { DUPLICATE: 1 } });
    expect(replay).toMatchObject({
      statusCode: 202,
      headers: { "idempotent-replayed": "true" },
      body: { id: job.id },
    });

    await drive();
    await drainQueue();
    await drive();

    const status = await get(job.links.self);
    expect(status.body).toMatchObject({
      state: "DONE",
      counts: { CANCELLED: 1, NOT_CANCELLABLE: 1, DUPLICATE: 1 },
      progress: { done: 3, pending: 0, queued: 0, total: 3 },
    });
    expect(kit.procureCore.effects.count(a)).toBe(1);
    expect(await kit.audit({ type: "intent", id: a })).toEqual([
      expect.objectContaining({ trigger: "bulk", outcome: "CANCELLED", reason: "supplier outage" }),
    ]);
    const items = await get(`${job.links.self}/items?outcome=CANCELLED`);
    expect(items.body).toEqual({
      items: [expect.objectContaining({ line: 2, outcome: "CANCELLED", target: { type: "intent", id: a } })],
    });
    const report = (await kit.handlers.http(
      kit.signed({ method: "GET", path: `${job.links.self}/items`, headers: { accept: "text/csv" } }),
      lambdaContext(),
    )) as { headers: Record<string, string>; body: string };
    expect(report.headers["content-type"]).toContain("text/csv");
    expect(
      report.body
        .split("\r\n")
        .slice(1, 4)
        .map((row) => row.split(",").slice(0, 8)),
    ).toEqual([
      ["2", "intent", a, "", "", "", "", "CANCELLED"],
      ["3", "intent", b, "", "", "", "", "NOT_CANCELLABLE"],
      ["4", "intent", a, "", "", "", "", "DUPLICATE"],
    ]);
    const announced = (await kit.announced()) as unknown as {
      detailType: string;
      detail: { target: { id: string } };
    }[];
    expect(
      announced.filter((e) => e.detailType === "Bulk Cancellation Finished" && e.detail.target.id === job.id),
    ).toHaveLength(1);
    const stopDone = await kit.http(kit.signed({ method: "POST", path: `${job.links.self}/stop` }));
    expect(stopDone).toMatchObject({ statusCode: 409, body: { error: { code: "conflict" } } });
  });

  it("stop: nothing queued starts after it; a JSON job stopped before its fan-out ends STOPPED at once", async () => {
    const ids = [kit.newIntent("SUBMITTED"), kit.newIntent("SUBMITTED")];
    const body = JSON.stringify({ items: ids.map((id) => ({ type: "intent", id })) });
    const { body: job } = (await submit(body, "application/json", `stop-${ids[0]}`)) as {
      body: { id: string };
    };

    const stopped = await kit.http(
      kit.signed({ method: "POST", path: `/api/v1/bulk-cancellations/${job.id}/stop` }),
    );
    await drive();
    await drainQueue();

    expect(stopped).toMatchObject({ statusCode: 200, body: { state: "STOPPED", counts: { STOPPED: 2 } } });
    for (const id of ids) expect(kit.procureCore.effects.count(id)).toBe(0);
  });

  it("bad input: each a 4xx in the service's format naming what is wrong, nothing created", async () => {
    const intent = kit.newIntent("SUBMITTED");
    const cases: [string, string, string, number, string][] = [
      ["empty list", JSON.stringify({ items: [] }), "application/json", 400, "items"],
      [
        "over 10,000",
        JSON.stringify({
          items: Array.from({ length: 10_001 }, (_, i) => ({ type: "intent", id: `i${i}` })),
        }),
        "application/json",
        400,
        "items",
      ],
      ["CSV without its header", `${intent}\n`, "text/csv", 400, "header"],
      ["CSV with an unknown column", "type,id,colour\nintent,x,red\n", "text/csv", 400, "header"],
      [
        "unknown type",
        JSON.stringify({ items: [{ type: "refund", id: "x" }] }),
        "application/json",
        400,
        "type",
      ],
    ];
    for (const [name, body, type, status, field] of cases) {
      const answer = await submit(body, type, `bad-${name.replace(/\W/g, "-")}`);
      expect([name, answer.statusCode, (answer.body as { error: { field?: string } }).error.field]).toEqual([
        name,
        status,
        field,
      ]);
    }
    const lines = await submit(
      JSON.stringify({
        items: [
          { type: "intent", id: intent },
          { type: "charge", chargeUuid: "nope" },
        ],
      }),
      "application/json",
      "bad-lines",
    );
    expect(lines.body).toMatchObject({
      error: { code: "validation", issues: [{ line: 2, field: "chargeUuid" }] },
    });
    const unknown = await get("/api/v1/bulk-cancellations/6f1e2b7d-4c90-4f6e-9a3c-0d5c3f528a57");
    expect(unknown).toMatchObject({ statusCode: 404, body: { error: { code: "not-found" } } });
    expect(kit.procureCore.effects.count(intent)).toBe(0);
  });
});
