/**
 * Reading `cancelctl dlq`'s dead-letter queues without disturbing them: a look receives
 * messages and releases them at once, a search for one id releases everything else it had to
 * receive, and each message is shown as what it is (dead-letter-message.ts). Used by list and
 * show (dlq-read-commands.ts) and by redrive <id> (dlq-redrive-command.ts).
 */
import { errorOf, readDeadLetter } from "./dead-letter-message.ts";
import type { DeadLetterQueue } from "./queue-catalogue.ts";
import type { DeadLetterQueueClient, ReceivedMessage } from "./sqs-dead-letters.ts";

/** How long list and show hide what they read (they release it at once when done). */
export const PEEK_HIDE_SECONDS = 30;
/** The most messages `show` and `redrive <id>` look through per queue. */
const SEARCH_LIMIT = 1000;

export interface MessageView {
  id: string;
  sentAt: string;
  receiveCount: number;
  /** What the message is, when it parses. */
  summary?: string;
  /** Why it does not parse (it is never redriven). */
  problem?: string;
  error: string;
}

export const viewOf = (queue: DeadLetterQueue, message: ReceivedMessage): MessageView => {
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
export const peek = async (client: DeadLetterQueueClient, queue: DeadLetterQueue, max: number) => {
  const received = await client.receive(queue.url, max, PEEK_HIDE_SECONDS);
  await client.release(queue.url, received);
  return received;
};

/** Finds a message by id, releasing everything else it had to receive on the way. */
export const find = async (
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
