/**
 * cancelctl's dlq commands from their command line: which queues (flags, or an outputs file),
 * the SQS endpoint, and each command's arguments checked before it runs (dlq-read-commands.ts,
 * dlq-redrive-command.ts; their clients: redrive-clients.ts).
 */
import { UsageError } from "../command-line.ts";
import type { Io } from "../io.ts";
import { dlqListCommand, dlqShowCommand } from "./dlq-read-commands.ts";
import { dlqRedriveCommand } from "./dlq-redrive-command.ts";
import {
  catalogueFromFlags,
  defaultOutputsFile,
  loadQueueCatalogue,
  type QueueCatalogue,
  selectQueues,
} from "./queue-catalogue.ts";
import { createRedriveClients } from "./redrive-clients.ts";

/** The flags the dlq commands take (command-line.ts `DLQ_OPTIONS`, `limit`, `all`). */
export interface DlqFlags {
  queue?: string;
  outputs?: string;
  endpoint?: string;
  "queue-url"?: string;
  holds?: string;
  "redrive-to"?: string;
  limit?: string;
  all?: boolean;
}

/** The dead-letter queues: from flags, or from an outputs file; `--endpoint` points SQS at a local stack. */
const dlqCatalogue = (values: DlqFlags, env: Record<string, string | undefined>): QueueCatalogue => {
  const catalogue =
    values["queue-url"] !== undefined
      ? catalogueFromFlags({
          queueUrl: values["queue-url"],
          ...(values.holds !== undefined && { holds: values.holds }),
          ...(values["redrive-to"] !== undefined && { redriveTo: values["redrive-to"] }),
        })
      : loadQueueCatalogue(values.outputs ?? defaultOutputsFile(env));
  return values.endpoint === undefined ? catalogue : { ...catalogue, sqsEndpoint: values.endpoint };
};

/** Runs `dlq list`, `dlq show` or `dlq redrive`; `expect` refuses the wrong number of arguments. */
export const dlqCommand = async (
  command: "dlq list" | "dlq show" | "dlq redrive",
  io: Io,
  line: {
    values: DlqFlags;
    args: readonly string[];
    env: Record<string, string | undefined>;
    expect: (count: number, names: string) => void;
  },
): Promise<number> => {
  const { values, args, env, expect } = line;
  const catalogue = dlqCatalogue(values, env);
  const queues = selectQueues(catalogue, values.queue);
  const clients = createRedriveClients(catalogue, env);
  if (command === "dlq list") {
    expect(0, "no arguments");
    const limit =
      values.limit === undefined ? 50 : /^[0-9]{1,4}$/.test(values.limit) ? Number(values.limit) : Number.NaN;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new UsageError("--limit must be decimal digits, from 1 to 1000.");
    return await dlqListCommand(io, queues, clients, { limit });
  }
  if (command === "dlq show") {
    expect(1, "<messageId>");
    return await dlqShowCommand(io, queues, clients, { id: args[0] ?? "" });
  }
  if (values.all === true) {
    expect(0, "--all and no message id");
    return await dlqRedriveCommand(io, queues, clients, {});
  }
  expect(1, "<messageId> or --all");
  return await dlqRedriveCommand(io, queues, clients, { id: args[0] ?? "" });
};
