/**
 * The local on-failure destination of the outbox relay's event source mapping: what
 * Lambda sends the SQS queue when it gives up on stream records (retries exhausted, or
 * records too old). As on AWS, a message describes the records' place in the stream
 * (`DDBStreamBatchInfo`), not the records: they stay in the stream (24 h), where an
 * operator replays them. Kept in a file under the stack's state directory (one JSON
 * message a line) so it outlives a restart, as the queue's 14 days would; `GET /events`
 * shows it.
 */
import { appendFileSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";

export type StreamFailureCondition = "RetryAttemptsExhausted" | "RecordAgeExceeded";

/** The invocation record Lambda sends an on-failure destination for a DynamoDB stream. */
export interface StreamFailureRecord {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: StreamFailureCondition;
    approximateInvokeCount: number;
  };
  responseContext: { statusCode: number; executedVersion: string; functionError?: "Unhandled" };
  version: "1.0";
  timestamp: string;
  DDBStreamBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

export interface FailureDestination {
  send(record: StreamFailureRecord): Promise<void> | void;
}

/** A queue of failure records, in memory and, given a file, on disk. */
export class LocalFailureQueue implements FailureDestination {
  readonly #file: string | undefined;
  readonly #messages: StreamFailureRecord[] = [];

  constructor(file?: string) {
    this.#file = file;
    if (file === undefined) return;
    mkdirSync(path.dirname(file), { recursive: true });
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      return;
    }
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      try {
        this.#messages.push(JSON.parse(line) as StreamFailureRecord);
      } catch {
        // A line cut short by a kill: the rest of the file is still read.
      }
    }
  }

  get file(): string | undefined {
    return this.#file;
  }

  send(record: StreamFailureRecord): void {
    this.#messages.push(record);
    if (this.#file !== undefined) appendFileSync(this.#file, `${JSON.stringify(record)}\n`);
  }

  /** Every message, oldest first. */
  messages(): StreamFailureRecord[] {
    return [...this.#messages];
  }
}
