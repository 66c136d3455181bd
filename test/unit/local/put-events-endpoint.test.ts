import { EventBridgeClient, ListRulesCommand, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { afterEach, describe, expect, it } from "vitest";
import { EventBridgePublisher } from "#adapters/events/event-bridge-publisher.ts";
import { type RunningFrontDoor, startFrontDoor } from "#local/stack/front-door.ts";
import { type BusEvent, LocalEventBus } from "#local/stack/local-event-bus.ts";
import { answerAwsJson, EVENTBRIDGE_PATH, PUT_EVENTS_TARGET } from "#local/stack/put-events-endpoint.ts";
import { SweepRunner } from "#local/stack/sweep-runner.ts";

const cancelRequested = (id: string) => ({
  Source: "storefront.orders",
  DetailType: "Cancel Requested",
  Detail: JSON.stringify({ target: { type: "intent", id } }),
  EventBusName: "cancellation-local",
});

interface Harness {
  door: RunningFrontDoor;
  bus: LocalEventBus;
  delivered: BusEvent[];
}

describe("local EventBridge endpoint (AWS JSON 1.1)", () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    harness?.bus.close();
    await harness?.door.close();
    harness = undefined;
  });

  const start = async (deliver: (event: BusEvent) => Promise<unknown> = async () => {}): Promise<Harness> => {
    const delivered: BusEvent[] = [];
    const bus = new LocalEventBus({
      deliver: async (event) => {
        delivered.push(event);
        return deliver(event);
      },
      retryDelaysMs: [5, 5],
    });
    const door = await startFrontDoor(0, {
      httpHandler: async () => ({ statusCode: 404 }),
      bus,
      sweeps: new SweepRunner(async () => ({})),
      log: () => {},
    });
    harness = { door, bus, delivered };
    return harness;
  };

  const sdkClient = (url: string): EventBridgeClient =>
    new EventBridgeClient({
      endpoint: `${url}${EVENTBRIDGE_PATH}`,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      maxAttempts: 1,
    });

  it("accepts the SDK's PutEventsCommand and keeps what the service published", async () => {
    // Prepare
    const { door, bus } = await start();
    const client = sdkClient(door.url);

    // Act
    const answer = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: "cancellation-service",
            DetailType: "Cancellation Succeeded",
            Detail: JSON.stringify({ outcome: "CANCELLED" }),
            EventBusName: "cancellation-local",
            Time: new Date("2026-02-25T11:30:00.000Z"),
          },
        ],
      }),
    );
    client.destroy();

    // Assess
    expect(answer.FailedEntryCount).toBe(0);
    expect(answer.Entries).toHaveLength(1);
    const eventId = answer.Entries?.[0]?.EventId;
    expect(eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(bus.published()).toEqual([
      {
        origin: "service",
        eventBusName: "cancellation-local",
        event: {
          version: "0",
          id: eventId,
          "detail-type": "Cancellation Succeeded",
          source: "cancellation-service",
          account: "000000000000",
          time: "2026-02-25T11:30:00Z",
          region: "us-east-1",
          resources: [],
          detail: { outcome: "CANCELLED" },
        },
      },
    ]);
  });

  it("takes the service's own EventBridgePublisher unchanged", async () => {
    const { door, bus } = await start();
    const client = sdkClient(door.url);
    const publisher = new EventBridgePublisher({ client, eventBusName: "cancellation-local" });

    await publisher.publish([
      {
        detailType: "Refund Required",
        detail: {
          eventId: "01JTESTEVENT00000000000001",
          target: {
            type: "charge",
            id: "c0ffee00-0000-4000-8000-000000000001",
            walletUuid: "f47ac10b-58cc-4372-a567-0e02b2c3d479",
          },
          outcome: "REFUND_REQUIRED",
          trigger: "http",
          correlationId: "corr-1",
          at: "2026-02-25T11:30:00.000Z",
        },
      },
    ]);
    client.destroy();

    const [stored] = bus.published();
    expect(stored?.event["detail-type"]).toBe("Refund Required");
    expect(stored?.event.source).toBe("cancellation-service");
    expect(stored?.event.detail).toMatchObject({ outcome: "REFUND_REQUIRED", correlationId: "corr-1" });
  });

  it("refuses other operations with the protocol's error, which the SDK raises by name", async () => {
    const { door } = await start();
    const client = sdkClient(door.url);

    const listing = client.send(new ListRulesCommand({}));

    await expect(listing).rejects.toMatchObject({
      name: "UnknownOperationException",
      message: `The local bus supports ${PUT_EVENTS_TARGET} only.`,
      $metadata: { httpStatusCode: 400 },
    });
    client.destroy();
  });

  it("answers per entry: a malformed Detail fails alone and is counted", () => {
    const bus = new LocalEventBus({ deliver: async () => {}, retryDelaysMs: [0, 0] });

    const answer = answerAwsJson(
      bus,
      "POST",
      PUT_EVENTS_TARGET,
      JSON.stringify({
        Entries: [
          { Source: "a", DetailType: "Thing Happened", Detail: "{not json" },
          { Source: "a", DetailType: "Thing Happened", Detail: "{}" },
          { Source: "a", Detail: "{}" },
        ],
      }),
    );
    bus.close();

    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.body);
    expect(body.FailedEntryCount).toBe(2);
    expect(body.Entries[0]).toEqual({ ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." });
    expect(body.Entries[1].EventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.Entries[2].ErrorCode).toBe("InvalidArgument");
  });

  it("refuses a request of more than 10 entries as a whole", () => {
    const bus = new LocalEventBus({ deliver: async () => {}, retryDelaysMs: [0, 0] });
    const entries = Array.from({ length: 11 }, () => ({ Source: "a", DetailType: "b", Detail: "{}" }));

    const answer = answerAwsJson(bus, "POST", PUT_EVENTS_TARGET, JSON.stringify({ Entries: entries }));

    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).__type).toBe("ValidationException");
    expect(bus.events()).toEqual([]);
  });
});

describe("POST /events and GET /events", () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    harness?.bus.close();
    await harness?.door.close();
    harness = undefined;
  });

  const start = async (deliver: (event: BusEvent) => Promise<unknown>): Promise<Harness> => {
    const delivered: BusEvent[] = [];
    const bus = new LocalEventBus({
      deliver: async (event) => {
        delivered.push(event);
        return deliver(event);
      },
      retryDelaysMs: [5, 5],
    });
    const door = await startFrontDoor(0, {
      httpHandler: async () => ({ statusCode: 404 }),
      bus,
      sweeps: new SweepRunner(async () => ({})),
      log: () => {},
    });
    harness = { door, bus, delivered };
    return harness;
  };

  const put = (url: string, body: unknown) =>
    fetch(`${url}/events`, { method: "POST", body: JSON.stringify(body) });

  it("answers with event ids, then hands Cancel Requested to the bus handler as an EventBridge event", async () => {
    // Prepare
    const { door, bus, delivered } = await start(async () => {});

    // Act
    const response = await put(door.url, {
      Entries: [cancelRequested("intent_67890"), { Source: "x", DetailType: "Something Else", Detail: "{}" }],
    });
    const answer = (await response.json()) as { FailedEntryCount: number; Entries: { EventId: string }[] };
    await bus.idle();

    // Assess
    expect(response.status).toBe(200);
    expect(answer.FailedEntryCount).toBe(0);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({
      version: "0",
      id: answer.Entries[0]?.EventId,
      "detail-type": "Cancel Requested",
      source: "storefront.orders",
      detail: { target: { type: "intent", id: "intent_67890" } },
    });
    expect(bus.deliveries()).toEqual([
      {
        eventId: answer.Entries[0]?.EventId,
        detailType: "Cancel Requested",
        status: "delivered",
        attempts: 1,
      },
    ]);
  });

  it("retries a throwing handler twice, then dead-letters the event; GET /events lists it", async () => {
    const { door, bus, delivered } = await start(async () => {
      throw new Error("Procure-Core unavailable");
    });

    await put(door.url, { Entries: [cancelRequested("intent_processing")] });
    await bus.idle();
    const listing = (await (await fetch(`${door.url}/events`)).json()) as {
      published: unknown[];
      deliveries: { status: string; attempts: number; lastError: string }[];
      deadLettered: { approximateInvokeCount: number; error: { errorMessage: string }; event: BusEvent }[];
    };

    expect(delivered).toHaveLength(3);
    expect(listing.published).toEqual([]);
    expect(listing.deliveries).toEqual([
      expect.objectContaining({
        status: "dead-lettered",
        attempts: 3,
        lastError: "Error: Procure-Core unavailable",
      }),
    ]);
    expect(listing.deadLettered).toHaveLength(1);
    expect(listing.deadLettered[0]?.approximateInvokeCount).toBe(3);
    expect(listing.deadLettered[0]?.error.errorMessage).toBe("Procure-Core unavailable");
    expect(listing.deadLettered[0]?.event.detail).toEqual({
      target: { type: "intent", id: "intent_processing" },
    });
  });

  it("delivers on a retry when the handler recovers", async () => {
    let calls = 0;
    const { door, bus } = await start(async () => {
      calls += 1;
      if (calls < 3) throw new Error("transient");
    });

    await put(door.url, { Entries: [cancelRequested("intent_67890")] });
    await bus.idle();

    expect(bus.deliveries()).toEqual([expect.objectContaining({ status: "delivered", attempts: 3 })]);
    expect(bus.deadLetters()).toEqual([]);
  });

  it("refuses a body that is not a PutEvents request", async () => {
    const { door } = await start(async () => {});

    const notJson = await fetch(`${door.url}/events`, { method: "POST", body: "nope" });
    const noEntries = await put(door.url, { Entries: [] });

    expect(notJson.status).toBe(400);
    expect(noEntries.status).toBe(400);
  });
});
