/**
 * `cancelctl dlq list` and `cancelctl dlq show <id>`: the dead letters of every queue in the
 * catalogue, and one message in full, read without being disturbed (dead-letter-reading.ts).
 * Sending them back is `dlq redrive` (dlq-redrive-command.ts).
 */
import type { Io } from "../io.ts";
import { columnTable, jsonText, keyValueTable, terminalSafe } from "../render.ts";
import { EXIT, type ExitCode } from "../verdicts.ts";
import { find, PEEK_HIDE_SECONDS, peek, viewOf } from "./dead-letter-reading.ts";
import type { DeadLetterQueue, RedriveTarget } from "./queue-catalogue.ts";
import type { RedriveClients } from "./redrive.ts";
import { DeadLetterQueueClient } from "./sqs-dead-letters.ts";

const describeTarget = (target: RedriveTarget): string =>
  target.type === "queue"
    ? `queue ${target.queueUrl}`
    : target.type === "function"
      ? `function ${target.functionName} (asynchronous invoke)`
      : `relay ${target.functionName}, records read again from ${target.auditTable}`;

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
