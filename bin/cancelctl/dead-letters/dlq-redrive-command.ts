/**
 * `cancelctl dlq redrive <id> | redrive --all`: dead letters sent back through their normal
 * path (redrive.ts). A message is deleted from its queue only after its redrive succeeded; a
 * message that does not parse, or whose redrive failed, is reported and left in its queue.
 * Looking at them first is `dlq list` and `dlq show` (dlq-read-commands.ts).
 */
import type { Io } from "../io.ts";
import { columnTable, jsonText, terminalSafe } from "../render.ts";
import { EXIT, type ExitCode } from "../verdicts.ts";
import { readDeadLetter } from "./dead-letter-message.ts";
import { find } from "./dead-letter-reading.ts";
import type { DeadLetterQueue } from "./queue-catalogue.ts";
import { type RedriveClients, redrive } from "./redrive.ts";
import { DeadLetterQueueClient, type ReceivedMessage } from "./sqs-dead-letters.ts";

/** How long a message being redriven stays hidden from other readers. */
export const REDRIVE_HIDE_SECONDS = 300;

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
