import { EventBridgeClient, ListRulesCommand, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { afterEach, describe, expect, it } from "vitest";
import { CANCEL_REQUESTED_DETAIL_TYPE } from "#adapters/events/cancel-requested-schema.ts";
import { ENTRY_TOO_LARGE, EventBridgePublisher } from "#adapters/events/event-bridge-publisher.ts";
import type { EventPublishError } from "#adapters/events/event-errors.ts";
import { PUT_EVENTS_LIMIT_BYTES } from "#adapters/events/put-events-limits.ts";
import type { OutcomeEvent } from "#core/ports.ts";
import type { RunningFrontDoor } from "#local/stack/front-door.ts";
import { LocalEventBus } from "#local/stack/local-event-bus.ts";
import { answerAwsJson, EVENTBRIDGE_PATH, PUT_EVENTS_TARGET } from "#local/stack/put-events-endpoint.ts";
import { type BusEvent, MAX_REQUEST_BYTES } from "#local/stack/put-events-request.ts";
import { LocalSqs } from "#local/stack/sqs/local-sqs.ts";
import { startTestFrontDoor } from "#test/support/local-front-door.ts";

const cancelRequested = (id: string) => ({
  Source: "storefront.orders",
  DetailType: "Cancel Requested",
  Detail: JSON.stringify({ target: { type: "intent", id } }),
  EventBusName: "cancellation-local",
});

interface Harness {
  door: RunningFrontDoor;
  bus: LocalEventBus;
  sqs: LocalSqs;
}

/** The front door with the deployed rule: Cancel Requested → a work queue (3 receives, then its DLQ). */
const startWithQueue = async (options: { refuse?: boolean } = {}): Promise<Harness> => {
  const sqs = new LocalSqs({ endpoint: "http://127.0.0.1:9/__aws/sqs" });
  const queue = sqs.create({ name: "work", deadLetter: { queue: "work-dlq", maxReceiveCount: 3 } });
  const door = await startTestFrontDoor({
    sqs,
    rules: [
      {
        name: "cancel-requested",
        detailType: CANCEL_REQUESTED_DETAIL_TYPE,
        target: (event: BusEvent) => {
          if (options.refuse) throw new Error("the queue refused the message");
          queue.send({ body: JSON.stringify(event) });
        },
      },
    ],
  });
  return { door, bus: door.bus, sqs };
};

describe("local EventBridge endpoint (AWS JSON 1.1)", () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    harness?.bus.close();
    await harness?.door.close();
    harness = undefined;
  });

  const start = async (): Promise<Harness> => {
    harness = await startWithQueue();
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
    const bus = new LocalEventBus({ rules: [], busNames: ["cancellation-local"] });

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
    const bus = new LocalEventBus({ rules: [], busNames: ["cancellation-local"] });
    const entries = Array.from({ length: 11 }, () => ({ Source: "a", DetailType: "b", Detail: "{}" }));

    const answer = answerAwsJson(bus, "POST", PUT_EVENTS_TARGET, JSON.stringify({ Entries: entries }));

    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).__type).toBe("ValidationException");
    expect(bus.events()).toEqual([]);
  });
});

describe("the local bus refuses what EventBridge refuses", () => {
  let bus: LocalEventBus;
  afterEach(() => bus?.close());

  const put = (entries: unknown[]) =>
    answerAwsJson(bus, "POST", PUT_EVENTS_TARGET, JSON.stringify({ Entries: entries }));
  /** An entry of exactly `bytes` by EventBridge's rule: Source 1 + DetailType 1 + Detail. */
  const entryOf = (bytes: number, extra: Record<string, unknown> = {}) => ({
    Source: "s",
    DetailType: "t",
    Detail: JSON.stringify({ pad: "x".repeat(bytes - 2 - '{"pad":""}'.length) }),
    EventBusName: "cancellation-local",
    ...extra,
  });

  it("a request whose entries together reach 256 KiB is refused whole: ValidationException with AWS's message (failed before: accepted)", () => {
    bus = new LocalEventBus({ rules: [], busNames: ["cancellation-local"] });

    const alone = put([entryOf(MAX_REQUEST_BYTES)]);
    const together = put([entryOf(MAX_REQUEST_BYTES / 2), entryOf(MAX_REQUEST_BYTES / 2)]);
    const justUnder = put([entryOf(MAX_REQUEST_BYTES / 2), entryOf(MAX_REQUEST_BYTES / 2 - 1)]);

    for (const refused of [alone, together]) {
      expect(refused.status).toBe(400);
      expect(JSON.parse(refused.body)).toEqual({
        __type: "ValidationException",
        message: "Total size of the entries in the request is over the limit.",
      });
    }
    expect(JSON.parse(justUnder.body)).toMatchObject({ FailedEntryCount: 0 });
    expect(bus.events()).toHaveLength(2);
  });

  it("counts Time as 14 bytes and Resources by their bytes, as AWS's rule does", () => {
    bus = new LocalEventBus({ rules: [], busNames: ["cancellation-local"] });
    const base = MAX_REQUEST_BYTES - 1 - 14 - 4;

    const fits = put([entryOf(base, { Time: 1_764_000_000, Resources: ["é", "é"] })]);
    const over = put([entryOf(base + 1, { Time: 1_764_000_000, Resources: ["é", "é"] })]);

    expect(fits.status).toBe(200);
    expect(over.status).toBe(400);
  });

  it("an entry for a bus that does not exist fails alone, AccessDeniedException as the service's role meets on AWS; default and the stack's bus, by name or ARN, take theirs (failed before: accepted)", () => {
    bus = new LocalEventBus({ rules: [], busNames: ["cancellation-local"] });
    const entry = (EventBusName?: string) => ({
      Source: "s",
      DetailType: "t",
      Detail: "{}",
      ...(EventBusName === undefined ? {} : { EventBusName }),
    });

    const answer = put([
      entry("cancellation-locl"),
      entry(),
      entry("cancellation-local"),
      entry("arn:aws:events:us-east-1:000000000000:event-bus/cancellation-local"),
      entry("arn:aws:events:us-east-1:123456789012:event-bus/cancellation-local"),
    ]);

    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.body);
    expect(body.FailedEntryCount).toBe(2);
    expect(body.Entries[0]).toEqual({
      ErrorCode: "AccessDeniedException",
      ErrorMessage: expect.stringContaining(
        "not authorized to perform: events:PutEvents on resource: arn:aws:events:us-east-1:000000000000:event-bus/cancellation-locl",
      ),
    });
    expect(body.Entries[4].ErrorCode).toBe("AccessDeniedException");
    expect(body.Entries.slice(1, 4).every((e: { EventId?: string }) => e.EventId)).toBe(true);
    expect(bus.events().map((stored) => stored.eventBusName)).toEqual([
      "default",
      "cancellation-local",
      "cancellation-local",
    ]);
  });

  it("refuses no entries and more than 10 with AWS's validation messages", () => {
    bus = new LocalEventBus({ rules: [], busNames: [] });
    const entries = (n: number) =>
      Array.from({ length: n }, () => ({ Source: "a", DetailType: "b", Detail: "{}" }));

    expect(JSON.parse(put(entries(0)).body).message).toMatch(
      /Member must have length greater than or equal to 1$/,
    );
    expect(JSON.parse(put(entries(11)).body).message).toMatch(
      /Member must have length less than or equal to 10$/,
    );
    expect(put(entries(10)).status).toBe(200);
  });
});

describe("the service's publisher and the local bus agree on the limits (through the SDK)", () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    harness?.bus.close();
    await harness?.door.close();
    harness = undefined;
  });
  const sdkClient = (url: string): EventBridgeClient =>
    new EventBridgeClient({
      endpoint: `${url}${EVENTBRIDGE_PATH}`,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      maxAttempts: 1,
    });
  const outcome = (n: number, text: string): OutcomeEvent => ({
    detailType: "Cancellation Rejected",
    detail: {
      eventId: `01JTESTLIMITS${String(n).padStart(13, "0")}`,
      target: { type: "intent", id: `intent_${n}` },
      outcome: "NOT_CANCELLABLE",
      trigger: "http",
      detail: text,
      correlationId: `corr-${n}`,
      at: "2026-11-23T10:00:00.000Z",
    },
  });

  it("10 events of 40 KB all reach the bus (the publisher cuts the calls); one too large is never sent, and the bus would have refused it", async () => {
    // Prepare
    harness = await startWithQueue();
    const client = sdkClient(harness.door.url);
    const publisher = new EventBridgePublisher({
      client,
      eventBusName: "cancellation-local",
      maxAttempts: 1,
    });
    const events = Array.from({ length: 10 }, (_, n) => outcome(n, "x".repeat(40 * 1024)));
    const huge = outcome(99, "x".repeat(PUT_EVENTS_LIMIT_BYTES));

    // Act
    await publisher.publish(events);
    const refusedHuge = await publisher.publish([huge]).catch((error: unknown) => error);
    const direct = client
      .send(
        new PutEventsCommand({
          Entries: [{ Source: "cancellation-service", DetailType: "x", Detail: JSON.stringify(huge.detail) }],
        }),
      )
      .catch((error: unknown) => error);

    // Assess
    expect(harness.bus.published()).toHaveLength(10);
    expect((refusedHuge as EventPublishError).failed).toEqual([
      expect.objectContaining({ errorCode: ENTRY_TOO_LARGE }),
    ]);
    expect(await direct).toMatchObject({ name: "ValidationException", $metadata: { httpStatusCode: 400 } });
    client.destroy();
  });

  it("a publisher aimed at a bus that does not exist is refused, entry by entry (AccessDeniedException)", async () => {
    harness = await startWithQueue();
    const client = sdkClient(harness.door.url);
    const publisher = new EventBridgePublisher({
      client,
      eventBusName: "cancellation-typo",
      maxAttempts: 1,
    });

    const error = await publisher.publish([outcome(1, "short")]).catch((e: unknown) => e);

    expect((error as EventPublishError).failed).toEqual([
      expect.objectContaining({ errorCode: "AccessDeniedException" }),
    ]);
    expect(harness.bus.published()).toEqual([]);
    client.destroy();
  });
});

describe("POST /events and GET /events", () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    harness?.bus.close();
    await harness?.door.close();
    harness = undefined;
  });

  const put = (url: string, body: unknown) =>
    fetch(`${url}/events`, { method: "POST", body: JSON.stringify(body) });

  interface Listing {
    published: unknown[];
    queues: { name: string; visible: number; inFlight: number; delayed: number }[];
    deadLetters: { queue: string; sourceQueue: string; receiveCount: number; body: BusEvent }[];
    undeliverable: { rule: string; error: string; event: BusEvent }[];
  }
  const list = async (url: string): Promise<Listing> =>
    (await (await fetch(`${url}/events`)).json()) as Listing;

  it("answers with event ids, and the rule puts Cancel Requested (the whole event) on the work queue", async () => {
    // Prepare
    harness = await startWithQueue();
    const { door, sqs } = harness;

    // Act
    const response = await put(door.url, {
      Entries: [cancelRequested("intent_67890"), { Source: "x", DetailType: "Something Else", Detail: "{}" }],
    });
    const answer = (await response.json()) as { FailedEntryCount: number; Entries: { EventId: string }[] };

    // Assess
    expect(response.status).toBe(200);
    expect(answer.FailedEntryCount).toBe(0);
    const messages = await sqs.byName("work").receive({ maxMessages: 10 });
    expect(messages).toHaveLength(1);
    expect(JSON.parse(messages[0]?.body ?? "{}")).toMatchObject({
      version: "0",
      id: answer.Entries[0]?.EventId,
      "detail-type": "Cancel Requested",
      source: "storefront.orders",
      detail: { target: { type: "intent", id: "intent_67890" } },
    });
  });

  it("GET /events lists the queues and the dead letters with their source queue", async () => {
    harness = await startWithQueue();
    const { door, sqs } = harness;
    await put(door.url, { Entries: [cancelRequested("intent_processing")] });
    const work = sqs.byName("work");
    // Three receives that never delete (visibility 0: at once visible again), then the redrive.
    for (let receive = 0; receive < 4; receive++) await work.receive({ visibilityTimeoutSeconds: 0 });

    const listing = await list(door.url);

    expect(listing.published).toEqual([]);
    expect(listing.queues.map((q) => [q.name, q.visible, q.inFlight, q.delayed]).sort()).toEqual([
      ["work", 0, 0, 0],
      ["work-dlq", 1, 0, 0],
    ]);
    expect(listing.deadLetters).toEqual([
      expect.objectContaining({ queue: "work-dlq", sourceQueue: "work", receiveCount: 3 }),
    ]);
    expect(listing.deadLetters[0]?.body.detail).toEqual({
      target: { type: "intent", id: "intent_processing" },
    });
  });

  it("an event the rule's target refuses is undeliverable, and listed (a rule target's DLQ)", async () => {
    harness = await startWithQueue({ refuse: true });

    const answer = await (await put(harness.door.url, { Entries: [cancelRequested("intent_67890")] })).json();
    const listing = await list(harness.door.url);

    // PutEvents itself succeeded: delivery to a target is EventBridge's business afterwards.
    expect(answer).toMatchObject({ FailedEntryCount: 0 });
    expect(listing.undeliverable).toEqual([
      expect.objectContaining({ rule: "cancel-requested", error: "Error: the queue refused the message" }),
    ]);
  });

  it("refuses a body that is not a PutEvents request", async () => {
    harness = await startWithQueue();
    const { door } = harness;

    const notJson = await fetch(`${door.url}/events`, { method: "POST", body: "nope" });
    const noEntries = await put(door.url, { Entries: [] });

    expect(notJson.status).toBe(400);
    expect(noEntries.status).toBe(400);
  });
});
