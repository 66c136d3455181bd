/**
 * Which dead-letter queues `cancelctl dlq` works on, what their messages hold, and the
 * normal path each one's messages are redriven through. Read from a stack's outputs file:
 *
 * - AWS: `.sst/outputs.json` (written by `sst deploy`), output `deadLetterQueues`
 *   (infra/index.ts, shape in infra/dead-letter-outputs.ts);
 * - the local stack: `$CANCEL_LOCAL_DIR/outputs.json` (default `.local/outputs.json`), the same
 *   shape plus the local endpoints (`sqsEndpoint`, `lambdaEndpoint`, `dynamoDbEndpoint`);
 * - or one queue given by flags (`--queue-url`, `--holds`, `--redrive-to`).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as v from "valibot";
import { ConfigError } from "../client-config.ts";

const nonEmpty = v.pipe(v.string(), v.minLength(1));

const redriveSchema = v.variant("type", [
  v.object({ type: v.literal("queue"), queueUrl: nonEmpty }),
  v.object({ type: v.literal("function"), functionName: nonEmpty }),
  v.object({ type: v.literal("stream-batch"), functionName: nonEmpty, auditTable: nonEmpty }),
]);

const queueSchema = v.object({
  name: nonEmpty,
  url: nonEmpty,
  holds: v.picklist(["bus-event", "schedule-input", "stream-batch"]),
  redrive: redriveSchema,
});

const outputsSchema = v.object({
  deadLetterQueues: v.pipe(v.array(queueSchema), v.minLength(1)),
  region: v.optional(nonEmpty),
  sqsEndpoint: v.optional(nonEmpty),
  lambdaEndpoint: v.optional(nonEmpty),
  dynamoDbEndpoint: v.optional(nonEmpty),
});

export type DeadLetterQueue = v.InferOutput<typeof queueSchema>;
export type RedriveTarget = DeadLetterQueue["redrive"];
export type MessageKind = DeadLetterQueue["holds"];

/** The queues and where to reach the services that hold them (endpoints only for a local stack). */
export interface QueueCatalogue {
  queues: DeadLetterQueue[];
  /** The file the catalogue was read from, or `flags`. */
  source: string;
  region?: string;
  sqsEndpoint?: string;
  lambdaEndpoint?: string;
  dynamoDbEndpoint?: string;
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/**
 * The `deadLetterQueues` output, checked.
 *
 * @throws ConfigError naming the first field that is wrong
 */
export const parseDeadLetterQueues = (value: unknown): DeadLetterQueue[] => {
  const result = v.safeParse(v.array(queueSchema), value);
  if (!result.success) throw new ConfigError(`deadLetterQueues: ${describe(result.issues)}`);
  return result.output;
};

const describe = (issues: readonly v.BaseIssue<unknown>[]): string =>
  issues
    .slice(0, 3)
    .map((issue) => `${v.getDotPath(issue) ?? "(root)"}: ${issue.message}`)
    .join("; ");

/** The outputs file used when none is given: the local stack's when it is running, else the deployed stack's. */
export const defaultOutputsFile = (env: Record<string, string | undefined>): string => {
  const localDir = env.CANCEL_LOCAL_DIR?.trim()
    ? path.resolve(env.CANCEL_LOCAL_DIR.trim())
    : path.join(REPO_ROOT, ".local");
  const local = path.join(localDir, "outputs.json");
  return existsSync(local) ? local : path.join(REPO_ROOT, ".sst", "outputs.json");
};

/**
 * Reads the catalogue from an outputs file.
 *
 * @throws ConfigError when the file is missing, is not JSON, or has no valid `deadLetterQueues`
 */
export const loadQueueCatalogue = (file: string): QueueCatalogue => {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new ConfigError(
      `Cannot read ${file}: deploy the stack (sst deploy writes .sst/outputs.json), start the local stack, or pass --outputs / --queue-url.`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file} is not JSON: ${(error as Error).message}`);
  }
  const result = v.safeParse(outputsSchema, json);
  if (!result.success)
    throw new ConfigError(`${file} has no usable dead-letter queues: ${describe(result.issues)}`);
  const { deadLetterQueues, ...endpoints } = result.output;
  return { queues: deadLetterQueues, source: file, ...endpoints };
};

/**
 * One queue given by flags. `--redrive-to` is a queue URL (`https://…` or `http://…`) or a
 * function name (invoked asynchronously).
 */
export const catalogueFromFlags = (flags: {
  queueUrl: string;
  holds?: string;
  redriveTo?: string;
}): QueueCatalogue => {
  const name = flags.queueUrl.split("/").at(-1) || "queue";
  const holds = flags.holds ?? "bus-event";
  if (holds === "stream-batch") {
    throw new ConfigError("A stream-batch queue needs its relay and audit table: use --outputs.");
  }
  if (flags.redriveTo === undefined) {
    throw new ConfigError("--queue-url needs --redrive-to (a queue URL or a function name).");
  }
  const redrive = /^https?:\/\//.test(flags.redriveTo)
    ? { type: "queue", queueUrl: flags.redriveTo }
    : { type: "function", functionName: flags.redriveTo };
  return { queues: parseDeadLetterQueues([{ name, url: flags.queueUrl, holds, redrive }]), source: "flags" };
};

/** The queues a command works on: all of them, or the one `--queue` names. */
export const selectQueues = (catalogue: QueueCatalogue, name: string | undefined): DeadLetterQueue[] => {
  if (name === undefined) return catalogue.queues;
  const found = catalogue.queues.filter((q) => q.name === name);
  if (found.length === 0) {
    throw new ConfigError(
      `No dead-letter queue named ${name} in ${catalogue.source} (have: ${catalogue.queues.map((q) => q.name).join(", ")}).`,
    );
  }
  return found;
};
