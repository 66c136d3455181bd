/**
 * The local SQS "service": the queues of the local stack by name, URL and ARN, in the
 * shapes AWS gives them (`arn:aws:sqs:us-east-1:000000000000:<name>`), with URLs on the
 * front door (`<endpoint>/000000000000/<name>`), so a queue URL handed to a function
 * works with the real AWS SDK client pointed at that endpoint.
 */
import { DEFAULT_QUEUE_SETTINGS, LocalQueue, type QueueSettings } from "./local-queue.ts";
import { queueDoesNotExist } from "./sqs-errors.ts";

export const LOCAL_ACCOUNT_ID = "000000000000";
export const LOCAL_REGION = "us-east-1";

export interface QueueDefinition {
  name: string;
  settings?: Partial<QueueSettings>;
  /** Name of the queue messages go to after `maxReceiveCount` receives. */
  deadLetter?: { queue: string; maxReceiveCount: number };
}

export class LocalSqs {
  /** Base URL queue URLs are built on, e.g. `http://127.0.0.1:3000/__aws/sqs`. */
  readonly endpoint: string;
  readonly #now: () => number;
  readonly #queues = new Map<string, LocalQueue>();

  constructor(options: { endpoint: string; now?: () => number }) {
    this.endpoint = options.endpoint.replace(/\/+$/, "");
    this.#now = options.now ?? Date.now;
  }

  arnOf(name: string): string {
    return `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${name}`;
  }

  urlOf(name: string): string {
    return `${this.endpoint}/${LOCAL_ACCOUNT_ID}/${name}`;
  }

  /** Creates a queue (its dead-letter queue first, if it names one that does not exist yet). */
  create(definition: QueueDefinition): LocalQueue {
    const existing = this.#queues.get(definition.name);
    if (existing) return existing;
    const settings: QueueSettings = { ...DEFAULT_QUEUE_SETTINGS, ...definition.settings };
    if (definition.deadLetter) {
      const dlq =
        this.#queues.get(definition.deadLetter.queue) ?? this.create({ name: definition.deadLetter.queue });
      settings.redrivePolicy = {
        deadLetterTargetArn: dlq.arn,
        maxReceiveCount: definition.deadLetter.maxReceiveCount,
      };
    }
    const queue = new LocalQueue({
      name: definition.name,
      arn: this.arnOf(definition.name),
      url: this.urlOf(definition.name),
      settings,
      now: this.#now,
      deadLetterQueue: (arn) => [...this.#queues.values()].find((q) => q.arn === arn),
    });
    this.#queues.set(definition.name, queue);
    return queue;
  }

  /** The queue a URL names, whatever host it carries (the SDK may rewrite it): its last path segment. */
  byUrl(url: string | undefined): LocalQueue {
    const name = url?.split("?")[0]?.replace(/\/+$/, "").split("/").at(-1);
    const queue = name ? this.#queues.get(name) : undefined;
    if (!queue) throw queueDoesNotExist();
    return queue;
  }

  byName(name: string): LocalQueue {
    const queue = this.#queues.get(name);
    if (!queue) throw queueDoesNotExist();
    return queue;
  }

  list(prefix = ""): LocalQueue[] {
    return [...this.#queues.values()].filter((queue) => queue.name.startsWith(prefix));
  }

  /** Queues whose redrive policy points at `dlq`. */
  sourcesOf(dlq: LocalQueue): LocalQueue[] {
    return this.list().filter((queue) => queue.settings.redrivePolicy?.deadLetterTargetArn === dlq.arn);
  }

  /** Queues that are some queue's dead-letter queue. */
  deadLetterQueues(): LocalQueue[] {
    return this.list().filter((queue) => this.sourcesOf(queue).length > 0);
  }

  close(): void {
    for (const queue of this.#queues.values()) queue.close();
  }
}
