import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { RedeliveryError } from "#adapters/queue/queue-errors.ts";
import { SqsRedeliveryQueue } from "#adapters/queue/sqs-redelivery.ts";

const client = new SQSClient({
  region: "us-east-1",
  credentials: { accessKeyId: "t", secretAccessKey: "t" },
});
const sqs = mockClient(client);
const QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/cancel-requested";

describe("SqsRedeliveryQueue", () => {
  beforeEach(() => {
    sqs.reset();
  });

  it("sends a copy of the body with the delay and the redelivery attributes", async () => {
    // Prepare
    sqs.on(SendMessageCommand).resolves({ MessageId: "m-2" });
    const queue = new SqsRedeliveryQueue({ client, queueUrl: QUEUE_URL });

    // Act
    await queue.sendLater({
      body: '{"id":"e-1"}',
      delaySeconds: 41.2,
      redeliveries: 3,
      firstSentAt: 1_700_000_000_000,
    });

    // Assess
    expect(sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input)).toEqual([
      {
        QueueUrl: QUEUE_URL,
        MessageBody: '{"id":"e-1"}',
        DelaySeconds: 42,
        MessageAttributes: {
          redeliveries: { DataType: "Number", StringValue: "3" },
          firstSentAt: { DataType: "Number", StringValue: "1700000000000" },
        },
      },
    ]);
  });

  it("never asks for more than SQS's 15 minutes, nor less than none", async () => {
    sqs.on(SendMessageCommand).resolves({});
    const queue = new SqsRedeliveryQueue({ client, queueUrl: QUEUE_URL });

    await queue.sendLater({ body: "b", delaySeconds: 3_600, redeliveries: 1, firstSentAt: 0 });
    await queue.sendLater({ body: "b", delaySeconds: -5, redeliveries: 1, firstSentAt: 0 });

    expect(sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input.DelaySeconds)).toEqual([
      900, 0,
    ]);
  });

  it("fails with a RedeliveryError (the message then fails and returns), keeping the cause", async () => {
    const cause = Object.assign(new Error("throttled"), { name: "RequestThrottled" });
    sqs.on(SendMessageCommand).rejects(cause);
    const queue = new SqsRedeliveryQueue({ client, queueUrl: QUEUE_URL });

    const sending = queue.sendLater({ body: "b", delaySeconds: 1, redeliveries: 1, firstSentAt: 0 });

    await expect(sending).rejects.toBeInstanceOf(RedeliveryError);
    await expect(sending).rejects.toMatchObject({
      message: expect.stringContaining("RequestThrottled"),
      cause,
    });
  });
});
