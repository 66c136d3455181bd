/**
 * cancelctl's command line: parses the arguments (`node:util` parseArgs), checks that each
 * command got what it needs, loads the client configuration and runs the command.
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { UnsignablePathError } from "#adapters/http/request-signature.ts";
import { TransportError } from "./api-client.ts";
import {
  BulkFileError,
  bulkResultsCommand,
  bulkStatusCommand,
  bulkStopCommand,
  bulkSubmitCommand,
} from "./bulk-commands.ts";
import { ConfigError, loadClientConfig } from "./client-config.ts";
import {
  auditCommand,
  cancelChargeCommand,
  cancelIntentCommand,
  cancelOrderCommand,
  type Io,
  orderStatusCommand,
  sweepCommand,
} from "./commands.ts";
import {
  createRedriveClients,
  dlqListCommand,
  dlqRedriveCommand,
  dlqShowCommand,
} from "./dead-letters/dlq-commands.ts";
import {
  catalogueFromFlags,
  defaultOutputsFile,
  loadQueueCatalogue,
  type QueueCatalogue,
  selectQueues,
} from "./dead-letters/queue-catalogue.ts";
import { pendingCommand, reportCommand } from "./operations-commands.ts";
import { jsonText, safeOutput, terminalSafe } from "./render.ts";
import { EXIT } from "./verdicts.ts";

export const USAGE = `cancelctl: cancel intents, charges and orders through cancellation-service

Usage:
  cancelctl intent cancel <intentId> [--reason <text>]
  cancelctl charge cancel <chargeUuid> <walletUuid> [--reason <text>]
  cancelctl order cancel <orderId> [--intent <intentId>] [--charge <chargeUuid> --wallet <walletUuid>] [--reason <text>]
  cancelctl order status <orderId> [--owner <clientId>]
  cancelctl audit <intent|charge|order> <id> [--limit <1-100>] [--cursor <cursor>] [--owner <clientId>]
  cancelctl sweep [--dry-run]                 (the local stack only: runs the expiry sweep now)
  cancelctl report --day <YYYY-MM-DD> [--csv]  (operator) a UTC day's reconciliation: totals, refunds, failures, not final
  cancelctl pending [--stuck]                 (operator) cancellations not final (or only STUCK ones), oldest first
  cancelctl bulk submit --file <ids.csv | items.json> [--reason <text>] [--skip-invalid] [--wait]
  cancelctl bulk status <jobId>
  cancelctl bulk results <jobId> [--csv] [--outcome <OUTCOME>]
  cancelctl bulk stop <jobId>
  cancelctl dlq list [--queue <name>] [--limit <n>]
  cancelctl dlq show <messageId> [--queue <name>]
  cancelctl dlq redrive <messageId> | --all [--queue <name>]

Bulk cancellations (docs/bulk-cancellations.md): a CSV with a header row (\`id\` alone for
intents; \`type,id,chargeUuid,walletUuid,orderId,intentId\`) or a JSON file ({"items": [...]}), up
to 10,000 items, run in the background. --wait follows the job to its end: a progress bar
(done/total, rate, time left) on a terminal, plain lines otherwise; exit 0 when it ended with
no FAILED item, 1 otherwise. --outcome is one of QUEUED, RUNNING, PENDING, CANCELLED,
ALREADY_CANCELLED, NOT_CANCELLABLE, NOT_FOUND, FORBIDDEN, REFUND_REQUIRED, FAILED, REJECTED,
STOPPED, DUPLICATE.

Dead-letter queues (dlq) come from the stack's outputs: .local/outputs.json while the local
stack runs, else .sst/outputs.json (sst deploy writes it; AWS credentials and region from the
environment), or --outputs <file>. One queue by flags: --queue-url <url> --redrive-to
<queue url | function name> [--holds bus-event|schedule-input]. --endpoint <url> overrides
the SQS endpoint (a local stack).

Who may do what is the app's grant in the service's clients secret (docs/security.md). Commands
marked (operator) need operator rights (a grant with operator: "read"; others get FORBIDDEN).
order status and audit show only your app's own orders and records (another's answer
NOT_FOUND, as if absent); an operator reads another client's order with --owner <clientId>
(or --owner bus:<source> for a bus producer's).

Options:
  --idempotency-key <key>  reuse a key to retry a cancel safely (default: a new UUID per run)
  --json                   machine-readable output on stdout
  --env-file <path>        client settings file (default: $CANCEL_LOCAL_DIR/client.env or .local/client.env)
  -h, --help               this text

Settings (the environment wins over the file): CANCEL_API_URL, APP_ID, APP_SECRET (signed
routes), A55_ACCESS_TOKEN (the charge route). \`npm start\` writes them to .local/client.env.

Exit codes: 0 done (cancelled, already cancelled, pending); 2 rejected (not cancellable,
not found, forbidden, refund required); 1 failed (unreachable, 5xx, refused credentials,
conflict); 64 bad usage.`;

class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The dead-letter queues: from flags, or from an outputs file; `--endpoint` points SQS at a local stack. */
const dlqCatalogue = (
  values: {
    outputs?: string;
    endpoint?: string;
    "queue-url"?: string;
    holds?: string;
    "redrive-to"?: string;
  },
  env: Record<string, string | undefined>,
): QueueCatalogue => {
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

const OPTIONS = {
  reason: { type: "string" },
  "idempotency-key": { type: "string" },
  intent: { type: "string" },
  charge: { type: "string" },
  wallet: { type: "string" },
  "dry-run": { type: "boolean" },
  cursor: { type: "string" },
  limit: { type: "string" },
  json: { type: "boolean" },
  day: { type: "string" },
  csv: { type: "boolean" },
  stuck: { type: "boolean" },
  queue: { type: "string" },
  all: { type: "boolean" },
  outputs: { type: "string" },
  endpoint: { type: "string" },
  "queue-url": { type: "string" },
  holds: { type: "string" },
  "redrive-to": { type: "string" },
  owner: { type: "string" },
  "env-file": { type: "string" },
  file: { type: "string" },
  wait: { type: "boolean" },
  "skip-invalid": { type: "boolean" },
  outcome: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type OptionName = keyof typeof OPTIONS;
const GLOBAL: readonly OptionName[] = ["json", "env-file", "help"];

const DLQ_OPTIONS: readonly OptionName[] = [
  "queue",
  "outputs",
  "endpoint",
  "queue-url",
  "holds",
  "redrive-to",
];

/** Which options each command takes, besides the global ones. */
const COMMAND_OPTIONS: Record<string, readonly OptionName[]> = {
  "intent cancel": ["reason", "idempotency-key"],
  "charge cancel": ["reason", "idempotency-key"],
  "order cancel": ["intent", "charge", "wallet", "reason", "idempotency-key"],
  "order status": ["owner"],
  audit: ["cursor", "limit", "owner"],
  sweep: ["dry-run"],
  report: ["day", "csv"],
  pending: ["stuck"],
  "bulk submit": ["file", "reason", "skip-invalid", "wait", "idempotency-key"],
  "bulk status": [],
  "bulk results": ["csv", "outcome"],
  "bulk stop": [],
  "dlq list": [...DLQ_OPTIONS, "limit"],
  "dlq show": DLQ_OPTIONS,
  "dlq redrive": [...DLQ_OPTIONS, "all"],
};

const AUDIT_TYPES = new Set(["intent", "charge", "order"]);
const SINGLE_WORD = new Set(["audit", "sweep", "report", "pending"]);

/**
 * Runs cancelctl.
 *
 * @returns the exit code (never throws)
 */
export const runCli = async (
  argv: readonly string[],
  env: Record<string, string | undefined>,
  unsafeOutput: Omit<Io, "json">,
): Promise<number> => {
  // Everything written goes through the last line of defence (render.ts, safeOutput).
  const output: Omit<Io, "json"> = {
    ...unsafeOutput,
    out: (text) => unsafeOutput.out(safeOutput(text)),
    err: (text) => unsafeOutput.err(safeOutput(text)),
  };
  let json = false;
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    });
    json = values.json === true;
    if (values.help || positionals.length === 0) {
      output.out(USAGE);
      return values.help ? EXIT.ok : EXIT.usage;
    }
    const [noun = "", verb = ""] = positionals;
    const command = SINGLE_WORD.has(noun) ? noun : `${noun} ${verb}`;
    const allowed = COMMAND_OPTIONS[command];
    if (allowed === undefined)
      throw new UsageError(`Unknown command "${positionals.slice(0, 2).join(" ")}".`);
    const given = (Object.keys(values) as OptionName[]).filter((name) => values[name] !== undefined);
    const stray = given.filter((name) => !allowed.includes(name) && !GLOBAL.includes(name));
    if (stray.length > 0) throw new UsageError(`${command} does not take --${stray.join(", --")}.`);
    const args = command.includes(" ") ? positionals.slice(2) : positionals.slice(1);
    const expect = (count: number, names: string): void => {
      if (args.length !== count) throw new UsageError(`${command} needs ${names}.`);
    };
    if (values.reason !== undefined && values.reason.trim() === "")
      throw new UsageError("--reason must not be empty.");
    const idempotencyKey = values["idempotency-key"] ?? randomUUID();
    const io: Io = { ...output, json };
    const config = () => loadClientConfig(env, values["env-file"]);
    const reason = values.reason === undefined ? {} : { reason: values.reason };

    switch (command) {
      case "intent cancel":
        expect(1, "<intentId>");
        return await cancelIntentCommand(io, config(), {
          intentId: args[0] ?? "",
          idempotencyKey,
          ...reason,
        });
      case "charge cancel":
        expect(2, "<chargeUuid> <walletUuid>");
        return await cancelChargeCommand(io, config(), {
          chargeUuid: args[0] ?? "",
          walletUuid: args[1] ?? "",
          idempotencyKey,
          ...reason,
        });
      case "order cancel": {
        expect(1, "<orderId>");
        if ((values.charge === undefined) !== (values.wallet === undefined)) {
          throw new UsageError("--charge and --wallet go together.");
        }
        if (values.intent === undefined && values.charge === undefined) {
          throw new UsageError("order cancel needs --intent, --charge with --wallet, or both.");
        }
        return await cancelOrderCommand(io, config(), {
          orderId: args[0] ?? "",
          ...(values.intent === undefined ? {} : { intentId: values.intent }),
          ...(values.charge === undefined || values.wallet === undefined
            ? {}
            : { charge: { chargeUuid: values.charge, walletUuid: values.wallet } }),
          idempotencyKey,
          ...reason,
        });
      }
      case "order status":
        expect(1, "<orderId>");
        return await orderStatusCommand(io, config(), {
          orderId: args[0] ?? "",
          ...(values.owner === undefined ? {} : { owner: values.owner }),
        });
      case "audit":
        expect(2, "<intent|charge|order> <id>");
        if (!AUDIT_TYPES.has(args[0] ?? ""))
          throw new UsageError("audit type must be intent, charge or order.");
        return await auditCommand(io, config(), {
          type: args[0] ?? "",
          id: args[1] ?? "",
          ...(values.cursor === undefined ? {} : { cursor: values.cursor }),
          ...(values.limit === undefined ? {} : { limit: values.limit }),
          ...(values.owner === undefined ? {} : { owner: values.owner }),
        });
      case "report": {
        expect(0, "--day <YYYY-MM-DD> and no arguments");
        if (values.day === undefined) throw new UsageError("report needs --day <YYYY-MM-DD> (a UTC day).");
        if (values.csv && values.json) throw new UsageError("--csv and --json do not go together.");
        return await reportCommand(io, config(), {
          day: values.day,
          format: values.csv ? "csv" : values.json ? "json" : "table",
        });
      }
      case "bulk submit":
        expect(0, "--file <path> and no arguments");
        if (values.file === undefined)
          throw new UsageError("bulk submit needs --file <ids.csv | items.json>.");
        return await bulkSubmitCommand(io, config(), {
          file: values.file,
          skipInvalid: values["skip-invalid"] === true,
          wait: values.wait === true,
          idempotencyKey,
          ...reason,
        });
      case "bulk status":
        expect(1, "<jobId>");
        return await bulkStatusCommand(io, config(), { id: args[0] ?? "" });
      case "bulk stop":
        expect(1, "<jobId>");
        return await bulkStopCommand(io, config(), { id: args[0] ?? "" });
      case "bulk results":
        expect(1, "<jobId>");
        if (values.csv && values.json) throw new UsageError("--csv and --json do not go together.");
        return await bulkResultsCommand(io, config(), {
          id: args[0] ?? "",
          csv: values.csv === true,
          ...(values.outcome === undefined ? {} : { outcome: values.outcome }),
        });
      case "pending":
        expect(0, "no arguments");
        return await pendingCommand(io, config(), { stuck: values.stuck === true });
      case "dlq list":
      case "dlq show":
      case "dlq redrive": {
        const catalogue = dlqCatalogue(values, env);
        const queues = selectQueues(catalogue, values.queue);
        const clients = createRedriveClients(catalogue, env);
        if (command === "dlq list") {
          expect(0, "no arguments");
          const limit =
            values.limit === undefined
              ? 50
              : /^[0-9]{1,4}$/.test(values.limit)
                ? Number(values.limit)
                : Number.NaN;
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
      }
      default:
        expect(0, "no arguments");
        return await sweepCommand(io, config(), { dryRun: values["dry-run"] === true });
    }
  } catch (error) {
    const usage =
      error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    if (usage) {
      output.err(`cancelctl: ${terminalSafe((error as Error).message)}\nRun cancelctl --help for usage.\n`);
      return EXIT.usage;
    }
    const known =
      error instanceof TransportError ||
      error instanceof ConfigError ||
      error instanceof UnsignablePathError ||
      error instanceof BulkFileError;
    output.err(
      `cancelctl: ${known ? terminalSafe((error as Error).message) : ((error as Error).stack ?? String(error))}\n`,
    );
    if (json)
      output.out(jsonText({ outcome: "FAILED", exitCode: EXIT.failed, error: (error as Error).message }));
    return EXIT.failed;
  }
};
