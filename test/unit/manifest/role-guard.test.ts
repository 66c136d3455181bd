/**
 * The role guard (test/support/role-guard.ts) refuses what a function's manifest role does not
 * allow, the way IAM judges each call, and lets everything else through untouched. Clients
 * here never reach a network: a last middleware answers every call that got past the guard.
 */
import {
  DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { FUNCTIONS } from "#manifest/function-manifest.ts";
import { roleOf } from "#manifest/function-resources.ts";
import { neededGrants, UnjudgedCallError } from "#test/support/iam-actions.ts";
import { guardClient, runAs, takeRefusals } from "#test/support/role-guard.ts";

const offline = {
  region: "us-east-1",
  endpoint: "http://127.0.0.1:9",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  maxAttempts: 1,
};
const TABLES = { idempotency: "t-idempotency", audit: "t-audit" };
const QUEUE_URL = "http://127.0.0.1:9/000000000000/cancel-requested";

/** Answers every call that reaches it, so nothing is sent. */
const answered = <T extends { middlewareStack: DynamoDBClient["middlewareStack"] }>(client: T): T => {
  client.middlewareStack.add(() => async () => ({ output: { $metadata: {} }, response: {} }), {
    step: "initialize",
    priority: "low",
    name: "answerEverything",
  });
  return client;
};

const dynamo = () => {
  const client = answered(new DynamoDBClient(offline));
  guardClient(client, "dynamodb", { names: { tables: TABLES } });
  return client;
};
const key = { pk: { S: "p" }, sk: { S: "s" } };

describe("role guard", () => {
  it("refuses a call the function's role does not allow, as AWS does, and sends nothing", async () => {
    const client = dynamo();

    const refused = runAs("OutboxRelay", () =>
      client.send(new GetItemCommand({ TableName: TABLES.idempotency, Key: key })),
    );

    await expect(refused).rejects.toMatchObject({
      name: "AccessDeniedException",
      $fault: "client",
      message: expect.stringContaining(
        "OutboxRelay is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table/t-idempotency",
      ),
    });
    expect(takeRefusals()).toEqual([
      expect.objectContaining({
        functionName: "OutboxRelay",
        grant: expect.objectContaining({ action: "dynamodb:GetItem" }),
      }),
    ]);
  });

  it("lets through what the role allows, and a test's own calls outside any invocation", async () => {
    const client = dynamo();

    await runAs("HttpApi", () =>
      client.send(new GetItemCommand({ TableName: TABLES.idempotency, Key: key })),
    );
    await client.send(new GetItemCommand({ TableName: "anything", Key: key }));

    expect(takeRefusals()).toEqual([]);
  });

  it("judges a table's index apart from the table: Query on byNextCheck is the continuation's, not the sweep's", async () => {
    const client = dynamo();
    const query = new QueryCommand({
      TableName: TABLES.idempotency,
      IndexName: "byNextCheck",
      KeyConditionExpression: "dueKey = :d",
      ExpressionAttributeValues: { ":d": { S: "DUE" } },
    });

    await runAs("Continuation", () => client.send(query));
    await expect(runAs("ExpirySweep", () => client.send(query))).rejects.toThrow(
      "dynamodb:Query on resource: arn:aws:dynamodb:us-east-1:000000000000:table/t-idempotency/index/byNextCheck",
    );
    takeRefusals();
  });

  it("judges every item of a transaction by its own action on its own table", async () => {
    const client = dynamo();
    const transaction = (kind: "Put" | "ConditionCheck") =>
      new TransactWriteItemsCommand({
        TransactItems: [
          { Update: { TableName: TABLES.idempotency, Key: key, UpdateExpression: "SET a = :a" } },
          kind === "Put"
            ? { Put: { TableName: TABLES.audit, Item: key } }
            : {
                ConditionCheck: {
                  TableName: TABLES.audit,
                  Key: key,
                  ConditionExpression: "attribute_exists(pk)",
                },
              },
        ],
      });

    await runAs("CancelRequested", () => client.send(transaction("Put")));
    await expect(runAs("CancelRequested", () => client.send(transaction("ConditionCheck")))).rejects.toThrow(
      "dynamodb:ConditionCheckItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table/t-audit",
    );
    takeRefusals();
  });

  it("the sweep's role as it was before defect 3 was fixed refuses the GetItem of a resumed key", async () => {
    // The statements infra deployed until then: the sweep's idempotency actions without GetItem.
    const before = roleOf(FUNCTIONS.ExpirySweep).map((permission) =>
      permission.resource.kind === "table" && permission.resource.table === "idempotency"
        ? { ...permission, actions: permission.actions.filter((action) => action !== "dynamodb:GetItem") }
        : permission,
    );
    const client = answered(new DynamoDBClient(offline));
    guardClient(client, "dynamodb", { names: { tables: TABLES }, roleOf: () => before });
    const read = new GetItemCommand({ TableName: TABLES.idempotency, Key: key });

    await expect(runAs("ExpirySweep", () => client.send(read))).rejects.toThrow(/dynamodb:GetItem/);
    takeRefusals();
  });

  it("SQS: the bus function may send to its own queue only, and a batch needs the single action", async () => {
    // No MD5 check of the answer: the stand-in answers with no message digest.
    const client = answered(
      new SQSClient({ ...offline, md5: false }) as unknown as DynamoDBClient,
    ) as unknown as SQSClient;
    guardClient(client, "sqs", { names: { queues: { [QUEUE_URL]: "CancelRequestedQueue" } } });

    await runAs("CancelRequested", () =>
      client.send(new SendMessageCommand({ QueueUrl: QUEUE_URL, MessageBody: "{}" })),
    );
    await expect(
      runAs("HttpApi", () => client.send(new SendMessageCommand({ QueueUrl: QUEUE_URL, MessageBody: "{}" }))),
    ).rejects.toThrow("sqs:SendMessage");
    await expect(
      runAs("CancelRequested", () =>
        client.send(new SendMessageCommand({ QueueUrl: `${QUEUE_URL}-failures`, MessageBody: "{}" })),
      ),
    ).rejects.toThrow("sqs:SendMessage");
    expect(
      neededGrants("sqs", "SendMessageBatchCommand", { QueueUrl: QUEUE_URL }, {}).map(
        (grant) => grant.action,
      ),
    ).toEqual(["sqs:SendMessage"]);
    takeRefusals();
  });

  it("EventBridge: only the relay puts events, and only on the service's bus (an entry without a bus goes to `default`)", async () => {
    const client = answered(
      new EventBridgeClient(offline) as unknown as DynamoDBClient,
    ) as unknown as EventBridgeClient;
    guardClient(client, "events", { names: { busName: "service-bus" } });
    const put = (bus?: string) =>
      new PutEventsCommand({
        Entries: [{ Source: "s", DetailType: "d", Detail: "{}", ...(bus ? { EventBusName: bus } : {}) }],
      });

    await runAs("OutboxRelay", () => client.send(put("service-bus")));
    await expect(runAs("OutboxRelay", () => client.send(put()))).rejects.toThrow("event-bus/default");
    await expect(runAs("HttpApi", () => client.send(put("service-bus")))).rejects.toThrow("events:PutEvents");
    takeRefusals();
  });

  it("Secrets Manager: the callers' credentials are the HTTP function's alone", async () => {
    const client = answered(
      new SecretsManagerClient(offline) as unknown as DynamoDBClient,
    ) as unknown as SecretsManagerClient;
    guardClient(client, "secretsmanager", { names: { secrets: { "arn:clients": "clients" } } });
    const read = new GetSecretValueCommand({ SecretId: "arn:clients" });

    await runAs("HttpApi", () => client.send(read));
    await expect(runAs("CancelRequested", () => client.send(read))).rejects.toThrow(
      "secretsmanager:GetSecretValue on resource: arn:clients",
    );
    takeRefusals();
  });

  it("refuses to judge a call it has no rule for, rather than allow it", () => {
    expect(() => neededGrants("dynamodb", "ListTablesCommand", {}, {})).toThrow(UnjudgedCallError);
    expect(() => neededGrants("events", "CreateEventBusCommand", {}, {})).toThrow(UnjudgedCallError);
  });
});
