/**
 * `cancelctl dlq list | show <id> | redrive <id> | redrive --all`: the dead letters of every
 * queue in the catalogue, read without being disturbed, and sent back through their normal
 * path (redrive.ts). A message is deleted from its queue only after its redrive succeeded; a
 * message that does not parse, or whose redrive failed, is reported and left in its queue.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { Io } from "../io.ts";
import { columnTable, jsonText, keyValueTable, terminalSafe } from "../render.ts";
import { EXIT, type ExitCode } from "../verdicts.ts";
import { errorOf, readDeadLetter } from "./dead-letter-message.ts";
import type { DeadLetterQueue, QueueCatalogue, RedriveTarget } from "./queue-catalogue.ts";
import { type RedriveClients, redrive } from "./redrive.ts";
import { DeadLetterQueueClient, type ReceivedMessage } from "./sqs-dead-letters.ts";

/** How long a message being redriven stays hidden from other readers. */
export const REDRIVE_HIDE_SECONDS = 300;
/** How long list and show hide what they read (they release it at once when done). */
const PEEK_HIDE_SECONDS = 30;
/** The most messages `show` and `redrive <id>` look through per queue. */
const SEARCH_LIMIT = 1000;

/** Clients for the catalogue's endpoints: the local stack's, or AWS's (region and credentials from the environment). */
export const createRedriveClients = (
  catalogue: QueueCatalogue,
  env: Record<string, string | undefined>,
): RedriveClients => {
  const local = catalogue.sqsEndpoint !== undefined;
  const region =
    catalogue.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (local ? "us-east-1" : undefined);
  // A local stack checks no signature: any credentials do, and none may be configured.
  const credentials =
    local && !env.AWS_ACCESS_KEY_ID ? { accessKeyId: "local", secretAccessKey: "local" } : undefined;
  const common = { ...(region && { region }), ...(credentials && { credentials }), maxAttempts: 3 };
  return {
    sqs: new SQSClient({ ...common, ...(catalogue.sqsEndpoint && { endpoint: catalogue.sqsEndpoint }) }),
    lambda: new LambdaClient({
      ...common,
      ...(catalogue.lambdaEndpoint && { endpoint: catalogue.lambdaEndpoint }),
    }),
    dynamoDb: new DynamoDBClient({
      ...common,
      ...(catalogue.dynamoDbEndpoint && { endpoint: catalogue.dynamoDbEndpoint }),
    }),
  };
};

const describeTarget = (target: RedriveTarget): string =>
  target.type === "queue"
    ? `queue ${target.queueUrl}`
    : target.type === "function"
      ? `function ${target.functionName} (asynchronous invoke)`
      : `relay ${target.functionName}, records read again from ${target.auditTable}`;

interface MessageView {
  id: string;
  sentAt: string;
  receiveCount: number;
  /** What the message is, when it parses. */
  summary?: string;
  /** Why it does not parse (it is never redriven). */
  problem?: string;
  error: string;
}

const viewOf = (queue: DeadLetterQueue, message: ReceivedMessage): MessageView => {
  const read = readDeadLetter(queue.holds, message);
  const sent = Number(message.attributes.SentTimestamp);
  return {
    id: message.messageId,
    sentAt: Number.isFinite(sent) && sent > 0 ? new Date(sent).toISOString() : "",
    receiveCount: Number(message.attributes.ApproximateReceiveCount ?? 0),
    ...(read.ok ? { summary: read.summary } : { problem: read.problem }),
    error: errorOf(message),
  };
};

/** Receives up to `max` messages and releases them at once: a look that leaves the queue as it was. */
const peek = async (client: DeadLetterQueueClient, queue: DeadLetterQueue, max: number) => {
  const received = await client.receive(queue.url, max, PEEK_HIDE_SECONDS);
  await client.release(queue.url, received);
  return received;
};

export const dlqListCommand = async (
  io: Io,
  queues: readonly DeadLetterQueue[],
  clients: RedriveClients,
  options: { limit: number },
): Promise<ExitCode> => {
  const client = new DeadLetterQueueClient(clients.sqs);
  const listed = [];
  for (const queue of queues) {
    const depth = await client.depth(queue.url);
    const messages = depth.waiting > 0 ? await peek(client, queue, options.limit) : [];
    listed.push({ queue, depth, messages: messages.map((m) => viewOf(queue, m)) });
  }
  if (io.json) {
    io.out(
      jsonText({
        queues: listed.map(({ queue, depth, messages }) => ({
          name: queue.name,
          url: queue.url,
          holds: queue.holds,
          redrive: queue.redrive,
          ...depth,
          messages,
        })),
      }),
    );
    return EXIT.ok;
  }
  const sections = listed.map(({ queue, depth, messages }) => {
    const head = `${terminalSafe(queue.name)}  ${depth.waiting === 0 ? "empty" : `${depth.waiting} waiting`}${depth.inFlight > 0 ? `, ${depth.inFlight} being handled` : ""}`;
    if (messages.length === 0) return head;
    const rows = messages.map((m) => [
      m.id,
      m.sentAt,
      String(m.receiveCount),
      m.summary ?? `UNREADABLE: ${m.problem}`,
      m.error,
    ]);
    const more =
      depth.waiting > messages.length
        ? `\n  … and about ${depth.waiting - messages.length} more (--limit)`
        : "";
    return `${head}\n\n${columnTable(["ID", "SENT", "RECEIVES", "WHAT", "ERROR"], rows, 100)
      .split("\n")
      .map((line) => `  ${line}`)
      .join("\n")}${more}`;
  });
  io.out(sections.join("\n\n"));
  return EXIT.ok;
};

/** Finds a message by id, releasing everything else it had to receive on the way. */
const find = async (
  client: DeadLetterQueueClient,
  queues: readonly DeadLetterQueue[],
  id: string,
  hideSeconds: number,
): Promise<{ queue: DeadLetterQueue; message: ReceivedMessage } | undefined> => {
  for (const queue of queues) {
    const received = await client.receive(queue.url, SEARCH_LIMIT, hideSeconds);
    const message = received.find((m) => m.messageId === id);
    await client.release(
      queue.url,
      received.filter((m) => m !== message),
    );
    if (message !== undefined) return { queue, message };
  }
  return undefined;
};

/** The body for people: pretty JSON (strings escaped), or the text on one escaped line. */
const prettyBody = (body: string): string => {
  try {
    return jsonText(JSON.parse(body));
  } catch {
    return terminalSafe(body);
  }
};

export const dlqShowCommand = async (
  io: Io,
  queues: readonly DeadLetterQueue[],
  clients: RedriveClients,
  options: { id: string },
): Promise<ExitCode> => {
  const client = new DeadLetterQueueClient(clients.sqs);
  const found = await find(client, queues, options.id, PEEK_HIDE_SECONDS);
  if (found === undefined) {
    io.err(
      `cancelctl: no message ${terminalSafe(options.id)} is waiting in ${terminalSafe(queues.map((q) => q.name).join(", "))}\n`,
    );
    if (io.json) io.out(jsonText({ outcome: "NOT_FOUND", exitCode: EXIT.rejected }));
    return EXIT.rejected;
  }
  const { queue, message } = found;
  await client.release(queue.url, [message]);
  const view = viewOf(queue, message);
  if (io.json) {
    io.out(
      jsonText({
        queue: queue.name,
        holds: queue.holds,
        redrive: queue.redrive,
        ...view,
        attributes: message.attributes,
        messageAttributes: message.messageAttributes,
        body: message.body,
      }),
    );
    return EXIT.ok;
  }
  const rows: [string, string][] = [
    ["queue", queue.name],
    ["holds", queue.holds],
    [view.summary === undefined ? "UNREADABLE" : "what", view.summary ?? view.problem ?? ""],
    // The rule's, Scheduler's and Lambda's DLQs keep the error, and so does the bus function when it
    // moves a message on its last receive; SQS's own redrive (an invocation that died) keeps none.
    ...(view.error === "" ? [] : [["error", view.error] as [string, string]]),
    ["sent", view.sentAt],
    // ApproximateReceiveCount: every receive, a listing's and this one's included.
    ["receives", `${view.receiveCount} (this read included)`],
    ["redrives to", describeTarget(queue.redrive)],
    ...Object.entries(message.messageAttributes).map(([k, v]): [string, string] => [`attribute ${k}`, v]),
  ];
  io.out(
    `${terminalSafe(message.messageId)}\n\n${keyValueTable(rows)}\n\nbody:\n${prettyBody(message.body)}`,
  );
  return EXIT.ok;
};

type Fate = "redriven" | "left" | "failed";

interface RedriveReport {
  queue: string;
  id: string;
  fate: Fate;
  /** What was done, or why the message was left. */
  detail: string;
}

/** Redrives one received message; deletes it only when its redrive succeeded. */
const redriveMessage = async (
  clients: RedriveClients,
  client: DeadLetterQueueClient,
  queue: DeadLetterQueue,
  message: ReceivedMessage,
): Promise<RedriveReport> => {
  const base = { queue: queue.name, id: message.messageId };
  const read = readDeadLetter(queue.holds, message);
  if (!read.ok) return { ...base, fate: "left", detail: `does not parse: ${read.problem}` };
  const result = await redrive(clients, queue.redrive, read);
  if (!result.ok) return { ...base, fate: "failed", detail: result.error };
  try {
    await client.remove(queue.url, message);
  } catch (error) {
    // Redriven, but still in the queue: a second redrive would be replayed by its idempotency key.
    return {
      ...base,
      fate: "redriven",
      detail: `${result.did}; NOT deleted from the queue: ${(error as Error).message}`,
    };
  }
  return { ...base, fate: "redriven", detail: result.did };
};

const progress = (io: Io) => {
  let shown = false;
  return {
    line(text: string): void {
      if (io.errIsTty) {
        io.err(`\r\x1b[2K${text}`);
        shown = true;
      } else io.err(`${text}\n`);
    },
    done(): void {
      if (shown) io.err("\n");
    },
  };
};

export const dlqRedriveCommand = async (
  io: Io,
  queues: readonly DeadLetterQueue[],
  clients: RedriveClients,
  options: { id?: string },
): Promise<ExitCode> => {
  const client = new DeadLetterQueueClient(clients.sqs);
  const reports: RedriveReport[] = [];
  const shown = progress(io);
  const tally = (queue: string) => {
    const count = (fate: Fate) => reports.filter((r) => r.queue === queue && r.fate === fate).length;
    return `redrive ${terminalSafe(queue)}: ${count("redriven")} redriven, ${count("left")} left (unreadable), ${count("failed")} failed`;
  };

  if (options.id !== undefined) {
    const found = await find(client, queues, options.id, REDRIVE_HIDE_SECONDS);
    if (found === undefined) {
      shown.done();
      io.err(
        `cancelctl: no message ${terminalSafe(options.id)} is waiting in ${terminalSafe(queues.map((q) => q.name).join(", "))}\n`,
      );
      if (io.json) io.out(jsonText({ outcome: "NOT_FOUND", exitCode: EXIT.rejected, messages: [] }));
      return EXIT.rejected;
    }
    const report = await redriveMessage(clients, client, found.queue, found.message);
    if (report.fate !== "redriven") await client.release(found.queue.url, [found.message]);
    reports.push(report);
  } else {
    for (const queue of queues) {
      // Left and failed messages stay hidden until the queue is done, so the loop ends; then they are released.
      const keep: ReceivedMessage[] = [];
      const seen = new Set<string>();
      shown.line(tally(queue.name));
      for (;;) {
        const batch = await client.receive(queue.url, 10, REDRIVE_HIDE_SECONDS);
        if (batch.length === 0) break;
        for (const message of batch) {
          if (seen.has(message.messageId)) {
            keep.push(message);
            continue;
          }
          seen.add(message.messageId);
          const report = await redriveMessage(clients, client, queue, message);
          if (report.fate !== "redriven") keep.push(message);
          reports.push(report);
          shown.line(tally(queue.name));
        }
      }
      await client.release(queue.url, keep);
    }
  }
  shown.done();

  const failed = reports.some((r) => r.fate !== "redriven");
  const exitCode = failed ? EXIT.failed : EXIT.ok;
  if (io.json) {
    io.out(jsonText({ outcome: failed ? "INCOMPLETE" : "REDRIVEN", exitCode, messages: reports }));
    return exitCode;
  }
  const summary = queues
    .map((q) => tally(q.name))
    .join("\n")
    .replaceAll("redrive ", "");
  io.out(
    reports.length === 0
      ? `Nothing to redrive: ${terminalSafe(queues.map((q) => q.name).join(", "))} ${queues.length === 1 ? "is" : "are"} empty.`
      : `${failed ? "INCOMPLETE" : "REDRIVEN"}\n\n${summary}\n\n${columnTable(
          ["QUEUE", "ID", "RESULT", "DETAIL"],
          reports.map((r) => [
            r.queue,
            r.id,
            r.fate === "left" ? "LEFT IN QUEUE" : r.fate.toUpperCase(),
            r.detail,
          ]),
          200,
        )}`,
  );
  return exitCode;
};
