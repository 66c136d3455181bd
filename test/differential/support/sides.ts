/**
 * The two sides of a differential test, set up alike: the local emulation (its own SQS
 * endpoint, or the front door's EventBridge endpoint with the deployed rule) and moto_server,
 * each with the same queues, bus and rule, each reached through a real AWS SDK v3 client.
 */
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { CANCEL_REQUESTED_DETAIL_TYPE } from "#adapters/events/cancel-requested-schema.ts";
import { EVENTBRIDGE_PATH } from "#local/stack/put-events-endpoint.ts";
import type { BusEvent } from "#local/stack/put-events-request.ts";
import { LOCAL_EVENT_BUS_NAME } from "#local/stack/service-env.ts";
import { LocalSqs } from "#local/stack/sqs/local-sqs.ts";
import { startSqsServer } from "#local/stack/sqs/sqs-server.ts";
import { startTestFrontDoor } from "#test/support/local-front-door.ts";

/** The service's work queue and its dead-letter queue, as infra declares them (receives before the DLQ: 2 here). */
export const WORK = "work";
export const WORK_DLQ = "work-dlq";
export const MAX_RECEIVE_COUNT = 2;
export const VISIBILITY_SECONDS = 30;

const clientOptions = (endpoint: string) => ({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "differential", secretAccessKey: "differential" },
  maxAttempts: 1,
});

export interface SqsSide {
  name: "local" | "moto";
  sqs: SQSClient;
  workUrl: string;
  dlqUrl: string;
  close(): Promise<void>;
}

export const localSqsSide = async (): Promise<SqsSide> => {
  const server = await startSqsServer({
    queues: [
      {
        name: WORK,
        settings: { visibilityTimeoutSeconds: VISIBILITY_SECONDS },
        deadLetter: { queue: WORK_DLQ, maxReceiveCount: MAX_RECEIVE_COUNT },
      },
    ],
  });
  const sqs = new SQSClient(clientOptions(server.endpoint));
  return {
    name: "local",
    sqs,
    workUrl: server.sqs.byName(WORK).url,
    dlqUrl: server.sqs.byName(WORK_DLQ).url,
    close: async () => {
      sqs.destroy();
      await server.close();
    },
  };
};

/** The same queues on moto (reset beforehand): the DLQ first, then the work queue with its redrive policy. */
export const motoSqsSide = async (endpoint: string): Promise<SqsSide> => {
  const sqs = new SQSClient(clientOptions(endpoint));
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: WORK_DLQ }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ["QueueArn"] }),
  );
  const work = await sqs.send(
    new CreateQueueCommand({
      QueueName: WORK,
      Attributes: {
        VisibilityTimeout: String(VISIBILITY_SECONDS),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: Attributes?.QueueArn,
          maxReceiveCount: MAX_RECEIVE_COUNT,
        }),
      },
    }),
  );
  return {
    name: "moto",
    sqs,
    workUrl: work.QueueUrl as string,
    dlqUrl: dlq.QueueUrl as string,
    close: async () => sqs.destroy(),
  };
};

export interface BusSide {
  name: "local" | "moto";
  events: EventBridgeClient;
  /** Bodies of what the Cancel Requested rule delivered to the work queue so far. */
  delivered(): Promise<unknown[]>;
  close(): Promise<void>;
}

/** The front door's EventBridge endpoint with the deployed rule: Cancel Requested → the work queue, the event as the body. */
export const localBusSide = async (): Promise<BusSide> => {
  const sqs = new LocalSqs({ endpoint: "http://127.0.0.1:9/__aws/sqs" });
  const queue = sqs.create({ name: WORK });
  const door = await startTestFrontDoor({
    sqs,
    rules: [
      {
        name: "cancel-requested",
        detailType: CANCEL_REQUESTED_DETAIL_TYPE,
        target: (event: BusEvent) => void queue.send({ body: JSON.stringify(event) }),
      },
    ],
  });
  const events = new EventBridgeClient(clientOptions(`${door.url}${EVENTBRIDGE_PATH}`));
  return {
    name: "local",
    events,
    delivered: async () =>
      (await queue.receive({ maxMessages: 10 })).map((message) => JSON.parse(message.body) as unknown),
    close: async () => {
      events.destroy();
      door.bus.close();
      await door.close();
    },
  };
};

/** The same bus, rule and queue on moto (reset beforehand). */
export const motoBusSide = async (endpoint: string): Promise<BusSide> => {
  const events = new EventBridgeClient(clientOptions(endpoint));
  const sqs = new SQSClient(clientOptions(endpoint));
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: WORK }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ["QueueArn"] }),
  );
  await events.send(new CreateEventBusCommand({ Name: LOCAL_EVENT_BUS_NAME }));
  await events.send(
    new PutRuleCommand({
      Name: "cancel-requested",
      EventBusName: LOCAL_EVENT_BUS_NAME,
      EventPattern: JSON.stringify({ "detail-type": [CANCEL_REQUESTED_DETAIL_TYPE] }),
    }),
  );
  await events.send(
    new PutTargetsCommand({
      Rule: "cancel-requested",
      EventBusName: LOCAL_EVENT_BUS_NAME,
      Targets: [{ Id: "work-queue", Arn: Attributes?.QueueArn }],
    }),
  );
  return {
    name: "moto",
    events,
    delivered: async () => {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 10 }),
      );
      return Messages.map((message) => JSON.parse(message.Body ?? "null") as unknown);
    },
    close: async () => {
      events.destroy();
      sqs.destroy();
    },
  };
};
