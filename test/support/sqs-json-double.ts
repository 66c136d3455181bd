/**
 * A small SQS test double speaking the AWS JSON 1.0 protocol the SDK's SQS client uses
 * (`X-Amz-Target: AmazonSQS.<Operation>`), on an ephemeral 127.0.0.1 port, so cancelctl's
 * dead-letter commands are tested through the real `@aws-sdk/client-sqs` over HTTP.
 *
 * Faithful where the commands depend on it: receiving hides a message for its visibility
 * timeout and raises its receive count; a receipt handle is valid only for the latest
 * receive; a visibility of 0 makes a message visible again; delete needs a current handle;
 * bodies carry their MD5 (the SDK checks it). Not modelled: long polling waits (an empty
 * queue answers at once), FIFO, message groups, attribute MD5s, IAM. The local stack's own
 * SQS endpoint (the platform work) replaces this for `npm start`.
 */
import { createHash, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

interface StoredMessage {
  id: string;
  body: string;
  sentAt: number;
  receiveCount: number;
  visibleAt: number;
  receipt: string | undefined;
  messageAttributes: Record<string, string>;
}

export interface SqsDouble {
  url: string;
  /** The queue URL of a queue, created on first use. */
  queueUrl(name: string): string;
  /** Puts a message as a producer (an EventBridge DLQ, Lambda) would. */
  put(name: string, body: string, messageAttributes?: Record<string, string>): string;
  /** Every message of a queue, hidden or not. */
  messages(name: string): readonly Readonly<StoredMessage>[];
  /** Messages a receive would return now. */
  visible(name: string): readonly Readonly<StoredMessage>[];
  /** The next `count` calls of `operation` answer 500. */
  failNext(operation: string, count?: number): void;
  /** Forgets injected faults not yet used. */
  clearFaults(): void;
  /** Operations called, in order. */
  calls: string[];
  close(): Promise<void>;
}

const md5 = (text: string): string => createHash("md5").update(text, "utf8").digest("hex");

class SqsError extends Error {
  readonly type: string;
  readonly status: number;
  constructor(type: string, message: string, status = 400) {
    super(message);
    this.type = type;
    this.status = status;
  }
}

export const startSqsDouble = async (): Promise<SqsDouble> => {
  const queues = new Map<string, StoredMessage[]>();
  const faults = new Map<string, number>();
  const calls: string[] = [];
  let base = "";

  const queueOf = (url: unknown): StoredMessage[] => {
    const name = typeof url === "string" ? url.split("/").at(-1) : undefined;
    const queue = name === undefined ? undefined : queues.get(name);
    if (queue === undefined)
      throw new SqsError("com.amazonaws.sqs#QueueDoesNotExist", `No queue ${String(url)}`);
    return queue;
  };
  const ensure = (name: string): StoredMessage[] => {
    let queue = queues.get(name);
    if (queue === undefined) {
      queue = [];
      queues.set(name, queue);
    }
    return queue;
  };
  const enqueue = (name: string, body: string, messageAttributes: Record<string, string> = {}): string => {
    const message: StoredMessage = {
      id: randomUUID(),
      body,
      sentAt: Date.now(),
      receiveCount: 0,
      visibleAt: 0,
      receipt: undefined,
      messageAttributes,
    };
    ensure(name).push(message);
    return message.id;
  };

  const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    GetQueueAttributes: (input) => {
      const queue = queueOf(input.QueueUrl);
      const now = Date.now();
      return {
        Attributes: {
          ApproximateNumberOfMessages: String(queue.filter((m) => m.visibleAt <= now).length),
          ApproximateNumberOfMessagesNotVisible: String(queue.filter((m) => m.visibleAt > now).length),
        },
      };
    },
    ReceiveMessage: (input) => {
      const queue = queueOf(input.QueueUrl);
      const now = Date.now();
      const max = Number(input.MaxNumberOfMessages ?? 1);
      const hide = Number(input.VisibilityTimeout ?? 30);
      const taken = queue.filter((m) => m.visibleAt <= now).slice(0, max);
      return {
        Messages: taken.map((m) => {
          m.receiveCount += 1;
          m.visibleAt = now + hide * 1000;
          m.receipt = randomUUID();
          return {
            MessageId: m.id,
            ReceiptHandle: m.receipt,
            MD5OfBody: md5(m.body),
            Body: m.body,
            Attributes: { SentTimestamp: String(m.sentAt), ApproximateReceiveCount: String(m.receiveCount) },
            ...(Object.keys(m.messageAttributes).length > 0 && {
              MessageAttributes: Object.fromEntries(
                Object.entries(m.messageAttributes).map(([k, v]) => [
                  k,
                  { StringValue: v, DataType: "String" },
                ]),
              ),
            }),
          };
        }),
      };
    },
    DeleteMessage: (input) => {
      const queue = queueOf(input.QueueUrl);
      const at = queue.findIndex((m) => m.receipt !== undefined && m.receipt === input.ReceiptHandle);
      if (at === -1)
        throw new SqsError("com.amazonaws.sqs#ReceiptHandleIsInvalid", "The receipt handle is not valid");
      queue.splice(at, 1);
      return {};
    },
    ChangeMessageVisibilityBatch: (input) => {
      const queue = queueOf(input.QueueUrl);
      const entries = (input.Entries ?? []) as {
        Id: string;
        ReceiptHandle: string;
        VisibilityTimeout: number;
      }[];
      const successful: { Id: string }[] = [];
      const failed: { Id: string; Code: string; SenderFault: boolean; Message: string }[] = [];
      for (const entry of entries) {
        const message = queue.find((m) => m.receipt !== undefined && m.receipt === entry.ReceiptHandle);
        if (message === undefined) {
          failed.push({
            Id: entry.Id,
            Code: "ReceiptHandleIsInvalid",
            SenderFault: true,
            Message: "not valid",
          });
          continue;
        }
        message.visibleAt = Date.now() + entry.VisibilityTimeout * 1000;
        successful.push({ Id: entry.Id });
      }
      return { Successful: successful, Failed: failed };
    },
    SendMessage: (input) => {
      const body = String(input.MessageBody ?? "");
      queueOf(input.QueueUrl);
      const id = enqueue(String(input.QueueUrl).split("/").at(-1) ?? "", body);
      return { MessageId: id, MD5OfMessageBody: md5(body) };
    },
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const target = String(req.headers["x-amz-target"] ?? "");
      const operation = target.replace(/^AmazonSQS\./, "");
      calls.push(operation);
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/x-amz-json-1.0" });
        res.end(JSON.stringify(body));
      };
      try {
        const fault = faults.get(operation) ?? 0;
        if (fault > 0) {
          faults.set(operation, fault - 1);
          throw new SqsError("com.amazonaws.sqs#InternalError", "injected fault", 500);
        }
        const handler = operations[operation];
        if (handler === undefined) throw new SqsError("com.amazonaws.sqs#UnsupportedOperation", operation);
        const input = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
        answer(200, handler(input));
      } catch (error) {
        const e =
          error instanceof SqsError
            ? error
            : new SqsError("com.amazonaws.sqs#InternalError", String(error), 500);
        answer(e.status, { __type: e.type, message: e.message });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    queueUrl: (name) => {
      ensure(name);
      return `${base}/000000000000/${name}`;
    },
    put: (name, body, attributes) => enqueue(name, body, attributes),
    messages: (name) => [...(queues.get(name) ?? [])],
    visible: (name) => (queues.get(name) ?? []).filter((m) => m.visibleAt <= Date.now()),
    failNext: (operation, count = 1) => faults.set(operation, count),
    clearFaults: () => faults.clear(),
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};
