/**
 * The local SQS's limits and refusals as SQS's model states them (sizes of 1 MiB, batch
 * errors with their awsQuery-compatible codes, empty lists left out), through the real SDK.
 * The same cases run against moto_server in test/differential/, where it is installed; these
 * hold them everywhere.
 */
import {
  GetQueueAttributesCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type RunningSqsServer, startSqsServer } from "#local/stack/sqs/sqs-server.ts";

const MIB = 1_048_576;

const refusal = async (call: Promise<unknown>) =>
  call.then(
    () => "accepted",
    (error: { name: string; Code?: string }) => `${error.name} ${error.Code}`,
  );

describe("local SQS limits", () => {
  let server: RunningSqsServer;
  let client: SQSClient;
  let url: string;

  beforeEach(async () => {
    server = await startSqsServer({ queues: [{ name: "work" }] });
    client = new SQSClient({
      region: "us-east-1",
      endpoint: server.endpoint,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      maxAttempts: 1,
    });
    url = server.sqs.byName("work").url;
  });
  afterEach(async () => {
    client.destroy();
    await server.close();
  });

  const send = (body: string, attributes?: Record<string, { DataType: string; StringValue: string }>) =>
    client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageAttributes: attributes }));
  const sendBatch = (entries: { Id: string; MessageBody: string }[]) =>
    client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));

  it("takes a message of exactly 1 MiB and refuses one byte more, attributes counted; says 1 MiB as its maximum", async () => {
    expect(await refusal(send("x".repeat(MIB)))).toBe("accepted");
    expect(await refusal(send("x".repeat(MIB + 1)))).toBe("InvalidParameterValue InvalidParameterValue");
    // 1,048,569 bytes of body + 8 of its attribute ("n", "Number", "1"): one byte over; one less fits.
    expect(await refusal(send("x".repeat(MIB - 8), { n: { DataType: "Number", StringValue: "1" } }))).toBe(
      "accepted",
    );
    expect(await refusal(send("x".repeat(MIB - 7), { n: { DataType: "Number", StringValue: "1" } }))).toBe(
      "InvalidParameterValue InvalidParameterValue",
    );
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["MaximumMessageSize"] }),
    );
    expect(Attributes).toEqual({ MaximumMessageSize: String(MIB) });
  });

  it("refuses malformed batches whole, with SQS's codes", async () => {
    const entry = (id: string, body = "x") => ({ Id: id, MessageBody: body });
    const code = (name: string) => `${name} AWS.SimpleQueueService.${name}`;
    expect(await refusal(sendBatch([]))).toBe(code("EmptyBatchRequest"));
    expect(await refusal(sendBatch(Array.from({ length: 11 }, (_, i) => entry(`m${i}`))))).toBe(
      code("TooManyEntriesInBatchRequest"),
    );
    expect(await refusal(sendBatch([entry("a"), entry("a")]))).toBe(code("BatchEntryIdsNotDistinct"));
    expect(await refusal(sendBatch([entry("not allowed!")]))).toBe(code("InvalidBatchEntryId"));
    expect(await refusal(sendBatch([entry("a", "a".repeat(600_000)), entry("b", "b".repeat(600_000))]))).toBe(
      code("BatchRequestTooLong"),
    );
    expect(await refusal(sendBatch([entry("a", "a".repeat(500_000)), entry("b", "b".repeat(500_000))]))).toBe(
      "accepted",
    );
  });

  it("leaves the list out of an empty receive and of a listing that matches nothing, as SQS does", async () => {
    const { $metadata: _r, ...received } = await client.send(
      new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 0 }),
    );
    const { $metadata: _l, ...listed } = await client.send(
      new ListQueuesCommand({ QueueNamePrefix: "none-" }),
    );
    expect(received).toEqual({});
    expect(listed).toEqual({});
  });
});
