/**
 * cancelctl's command line: parses the arguments (`node:util` parseArgs), checks that each
 * command got what it needs, loads the client configuration and runs the command.
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { UnsignablePathError } from "#adapters/http/request-signature.ts";
import { TransportError } from "./api-client.ts";
import { bulkStatusCommand, bulkStopCommand } from "./bulk-commands.ts";
import { bulkResultsCommand } from "./bulk-results-command.ts";
import { BulkFileError, bulkSubmitCommand } from "./bulk-submit-command.ts";
import { ConfigError, loadClientConfig } from "./client-config.ts";
import {
  AUDIT_TYPES,
  COMMAND_OPTIONS,
  GLOBAL,
  OPTIONS,
  type OptionName,
  SINGLE_WORD,
  UsageError,
} from "./command-line.ts";
import {
  auditCommand,
  cancelChargeCommand,
  cancelIntentCommand,
  cancelOrderCommand,
  type Io,
  orderStatusCommand,
  sweepCommand,
} from "./commands.ts";
import { reportCommand } from "./daily-report-command.ts";
import { dlqCommand } from "./dead-letters/dlq-command-line.ts";
import { pendingCommand } from "./operations-commands.ts";
import { jsonText, safeOutput, terminalSafe } from "./render.ts";
import { USAGE } from "./usage.ts";
import { EXIT } from "./verdicts.ts";

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
      case "dlq redrive":
        return await dlqCommand(command, io, { values, args, env, expect });
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
