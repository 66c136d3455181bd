/**
 * Where the local event source mapping has got to in each shard, kept so a stack (or a
 * relay) stopped or killed in the middle of a batch resumes after the last record it saw
 * handled, and loses nothing: a checkpoint is written only after an invocation answered,
 * so a batch cut short is delivered again (at least once, as Lambda does).
 *
 * The file is replaced atomically (written aside, then renamed), so a kill during a write
 * leaves the previous checkpoint. A checkpoint of another stream (a table created again,
 * DynamoDB Local in memory) is ignored.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

export interface ShardCheckpoint {
  /** The last record handled (delivered successfully, or sent to the failure queue). */
  sequenceNumber?: string;
  /** Read to its end (closed by DynamoDB); its children may start. */
  finished?: boolean;
}

export interface StreamCheckpoint {
  streamArn: string;
  shards: Record<string, ShardCheckpoint>;
}

export interface CheckpointStore {
  /** The checkpoint of `streamArn`, or undefined when none was kept for it. */
  load(streamArn: string): StreamCheckpoint | undefined;
  save(checkpoint: StreamCheckpoint): void;
}

/** Kept in this process only (a stack without a state directory, tests). */
export class MemoryCheckpointStore implements CheckpointStore {
  #saved: StreamCheckpoint | undefined;

  load(streamArn: string): StreamCheckpoint | undefined {
    return this.#saved?.streamArn === streamArn ? structuredClone(this.#saved) : undefined;
  }

  save(checkpoint: StreamCheckpoint): void {
    this.#saved = structuredClone(checkpoint);
  }
}

/** One JSON file, replaced atomically. */
export class FileCheckpointStore implements CheckpointStore {
  readonly #file: string;

  constructor(file: string) {
    this.#file = file;
    mkdirSync(path.dirname(file), { recursive: true });
  }

  get file(): string {
    return this.#file;
  }

  load(streamArn: string): StreamCheckpoint | undefined {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.#file, "utf8"));
    } catch {
      return undefined;
    }
    const checkpoint = parsed as Partial<StreamCheckpoint>;
    if (checkpoint.streamArn !== streamArn || typeof checkpoint.shards !== "object" || !checkpoint.shards) {
      return undefined;
    }
    return { streamArn, shards: checkpoint.shards };
  }

  save(checkpoint: StreamCheckpoint): void {
    const aside = `${this.#file}.${process.pid}.tmp`;
    writeFileSync(aside, `${JSON.stringify(checkpoint, null, 2)}\n`);
    renameSync(aside, this.#file);
  }
}
