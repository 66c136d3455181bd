import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListQueuesCommand,
  MessageNotInflight,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { md5OfMessageAttributes } from "#local/stack/sqs/sqs-md5.ts";
import { type RunningSqsServer, startSqsServer } from "#local/stack/sqs/sqs-server.ts";

/** The local SQS through the real AWS SDK v3 client (JSON protocol, MD5 checks on). */
describe("local SQS", () => {
  let server: RunningSqsServer;
  let client: SQSClient;
  let now = 1_700_000_000_000;
  let workUrl: string;
  let dlqUrl: string;

  beforeEach(async () => {
    now = 1_700_000_000_000;
    server = await startSqsServer({
      now: () => now,
      queues: [
        {
          name: "work",
          settings: { visibilityTimeoutSeconds: 30 },
          deadLetter: { queue: "work-dlq", maxReceiveCount: 2 },
        },
        { name: "plain", settings: { visibilityTimeoutSeconds: 30 } },
      ],
    });
    client = new SQSClient({
      region: "us-east-1",
      endpoint: server.endpoint,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    workUrl = server.sqs.byName("work").url;
    dlqUrl = server.sqs.byName("work-dlq").url;
  });
  afterEach(async () => {
    client.destroy();
    await server.close();
  });

  const receive = (url = workUrl, extra: Partial<ReceiveMessageCommand["input"]> = {}) =>
    client.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
        ...extra,
      }),
    );

  it("sends and receives a message with attributes; the SDK's checksums accept the answers", async () => {
    // Prepare
    const attributes = {
      redeliveries: { DataType: "Number", StringValue: "2" },
      origin: { DataType: "String", StringValue: "bus" },
    };

    // Act
    const sent = await client.send(
      new SendMessageCommand({
        QueueUrl: workUrl,
        MessageBody: '{"hello":"world"}',
        MessageAttributes: attributes,
      }),
    );
    const { Messages } = await receive();

    // Assess
    expect(sent.MD5OfMessageAttributes).toBe(md5OfMessageAttributes(attributes));
    expect(Messages).toHaveLength(1);
    expect(Messages?.[0]).toMatchObject({
      MessageId: sent.MessageId,
      Body: '{"hello":"world"}',
      MessageAttributes: attributes,
      MD5OfMessageAttributes: sent.MD5OfMessageAttributes,
      Attributes: { ApproximateReceiveCount: "1", SentTimestamp: String(now) },
    });
  });

  it("computes the attributes' MD5 as SQS documents it (values other SQS implementations check against)", () => {
    expect(md5OfMessageAttributes({ SellerName: { DataType: "String", StringValue: "Example Store" } })).toBe(
      "cd28f3b68aeee4b2eac9c66f2f694b58",
    );
    expect(md5OfMessageAttributes({ timestamp: { DataType: "Number", StringValue: "1493147359900" } })).toBe(
      "235c5c510d26fb653d073faed50ae77c",
    );
    expect(
      md5OfMessageAttributes({
        ordinal: { DataType: "Number", StringValue: "1" },
        category: { DataType: "String", StringValue: "test" },
      }),
    ).toBe("d21ae90c49061e927f57df5f5d72be1f");
    expect(md5OfMessageAttributes({})).toBeUndefined();
  });

  it("hides a received message for the visibility timeout, then delivers it again with a higher receive count", async () => {
    await client.send(new SendMessageCommand({ QueueUrl: workUrl, MessageBody: "m" }));
    const first = await receive();

    now += 29_999;
    const hidden = await receive();
    now += 1;
    const again = await receive();

    expect(first.Messages).toHaveLength(1);
    expect(hidden.Messages ?? []).toEqual([]);
    expect(again.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe("2");
    expect(again.Messages?.[0]?.ReceiptHandle).not.toBe(first.Messages?.[0]?.ReceiptHandle);
  });

  it("keeps a delayed message invisible for DelaySeconds", async () => {
    await client.send(new SendMessageCommand({ QueueUrl: workUrl, MessageBody: "later", DelaySeconds: 120 }));
    const attributes = await client.send(
      new GetQueueAttributesCommand({
        QueueUrl: workUrl,
        AttributeNames: ["ApproximateNumberOfMessagesDelayed"],
      }),
    );

    const early = await receive();
    now += 120_000;
    const due = await receive();

    expect(attributes.Attributes).toEqual({ ApproximateNumberOfMessagesDelayed: "1" });
    expect(early.Messages ?? []).toEqual([]);
    expect(due.Messages?.map((m) => m.Body)).toEqual(["later"]);
  });

  it("moves a message to the dead-letter queue on the receive after maxReceiveCount, keeping its id", async () => {
    const { MessageId } = await client.send(
      new SendMessageCommand({ QueueUrl: workUrl, MessageBody: "poison" }),
    );
    for (let receiveNumber = 1; receiveNumber <= 2; receiveNumber++) {
      expect((await receive()).Messages).toHaveLength(1);
      now += 30_000;
    }

    const third = await receive();
    const dead = await receive(dlqUrl);
    const sources = await client.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlqUrl }));

    expect(third.Messages ?? []).toEqual([]);
    expect(dead.Messages?.map((m) => [m.MessageId, m.Body, m.Attributes?.DeadLetterQueueSourceArn])).toEqual([
      [MessageId, "poison", server.sqs.byName("work").arn],
    ]);
    expect(sources.queueUrls).toEqual([workUrl]);
  });

  it("redrives dead letters back to their source queue (StartMessageMoveTask)", async () => {
    await client.send(new SendMessageCommand({ QueueUrl: workUrl, MessageBody: "again" }));
    for (let i = 0; i < 3; i++) {
      await receive();
      now += 30_000;
    }
    expect(server.sqs.byName("work-dlq").counts().visible).toBe(1);

    await client.send(new StartMessageMoveTaskCommand({ SourceArn: server.sqs.byName("work-dlq").arn }));

    expect(server.sqs.byName("work-dlq").counts().visible).toBe(0);
    expect((await receive()).Messages?.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount])).toEqual([
      ["again", "1"],
    ]);
  });

  it("deletes only with the latest receipt handle; an outdated one succeeds without deleting", async () => {
    const plainUrl = server.sqs.byName("plain").url;
    await client.send(new SendMessageCommand({ QueueUrl: plainUrl, MessageBody: "m" }));
    const first = (await receive(plainUrl)).Messages?.[0];
    now += 30_000;
    const second = (await receive(plainUrl)).Messages?.[0];

    await client.send(new DeleteMessageCommand({ QueueUrl: plainUrl, ReceiptHandle: first?.ReceiptHandle }));
    now += 30_000;
    const stillThere = (await receive(plainUrl)).Messages?.[0];
    await client.send(
      new DeleteMessageCommand({ QueueUrl: plainUrl, ReceiptHandle: stillThere?.ReceiptHandle }),
    );
    now += 30_000;

    expect(second?.MessageId).toBe(first?.MessageId);
    expect(stillThere?.MessageId).toBe(first?.MessageId);
    expect((await receive(plainUrl)).Messages ?? []).toEqual([]);
  });

  it("changes an in-flight message's visibility; a visible one is not in flight", async () => {
    await client.send(new SendMessageCommand({ QueueUrl: workUrl, MessageBody: "m" }));
    const message = (await receive()).Messages?.[0];

    await client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: workUrl,
        ReceiptHandle: message?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const again = (await receive()).Messages?.[0];
    now += 30_000;

    expect(again?.MessageId).toBe(message?.MessageId);
    await expect(
      client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: workUrl,
          ReceiptHandle: again?.ReceiptHandle,
          VisibilityTimeout: 10,
        }),
      ),
    ).rejects.toBeInstanceOf(MessageNotInflight);
  });

  it("sends and deletes in batches", async () => {
    const sent = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: workUrl,
        Entries: [
          { Id: "a", MessageBody: "1" },
          { Id: "b", MessageBody: "2", DelaySeconds: 901 },
          { Id: "c", MessageBody: "3" },
        ],
      }),
    );
    const messages = (await receive()).Messages ?? [];
    const deleted = await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: workUrl,
        Entries: messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
      }),
    );

    expect(sent.Successful?.map((s) => s.Id)).toEqual(["a", "c"]);
    expect(sent.Failed?.map((f) => [f.Id, f.Code])).toEqual([["b", "InvalidParameterValue"]]);
    expect(messages.map((m) => m.Body)).toEqual(["1", "3"]);
    expect(deleted.Successful).toHaveLength(2);
    expect(server.sqs.byName("work").counts()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it("answers GetQueueUrl, ListQueues and GetQueueAttributes; an unknown queue is QueueDoesNotExist", async () => {
    await client.send(new SendMessageCommand({ QueueUrl: workUrl, MessageBody: "m" }));
    await client.send(new SendMessageCommand({ QueueUrl: workUrl, MessageBody: "n" }));
    await receive(workUrl, { MaxNumberOfMessages: 1 });

    const url = await client.send(new GetQueueUrlCommand({ QueueName: "work" }));
    const listed = await client.send(new ListQueuesCommand({}));
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: workUrl, AttributeNames: ["All"] }),
    );

    expect(url.QueueUrl).toBe(workUrl);
    expect(listed.QueueUrls?.sort()).toEqual([dlqUrl, server.sqs.byName("plain").url, workUrl].sort());
    expect(Attributes).toMatchObject({
      ApproximateNumberOfMessages: "1",
      ApproximateNumberOfMessagesNotVisible: "1",
      VisibilityTimeout: "30",
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: server.sqs.byName("work-dlq").arn,
        maxReceiveCount: 2,
      }),
    });
    await expect(client.send(new GetQueueUrlCommand({ QueueName: "nope" }))).rejects.toBeInstanceOf(
      QueueDoesNotExist,
    );
  });

  it("long polling answers as soon as a message arrives", async () => {
    const realServer = await startSqsServer({ queues: [{ name: "poll" }] });
    const realClient = new SQSClient({
      region: "us-east-1",
      endpoint: realServer.endpoint,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    try {
      const url = realServer.sqs.byName("poll").url;
      const startedAt = Date.now();
      const polling = realClient.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 10 }));
      setTimeout(
        () => void realClient.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "now" })),
        200,
      );

      const { Messages } = await polling;

      expect(Messages?.map((m) => m.Body)).toEqual(["now"]);
      expect(Date.now() - startedAt).toBeLessThan(5_000);
    } finally {
      realClient.destroy();
      await realServer.close();
    }
  });
});
