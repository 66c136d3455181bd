/**
 * cancelctl's command line: parses the arguments (`node:util` parseArgs), checks that each
 * command got what it needs, loads the client configuration and runs the command.
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { UnsignablePathError } from "#adapters/http/request-signature.ts";
import { TransportError } from "./api-client.ts";
import { ConfigError, loadClientConfig } from "./client-config.ts";
import {
  auditCommand,
  cancelChargeCommand,
  cancelIntentCommand,
  cancelOrderCommand,
  type Io,
  sweepCommand,
} from "./commands.ts";
import { EXIT } from "./verdicts.ts";

export const USAGE = `cancelctl: cancel intents, charges and orders through cancellation-service

Usage:
  cancelctl intent cancel <intentId> [--reason <text>]
  cancelctl charge cancel <chargeUuid> <walletUuid> [--reason <text>]
  cancelctl order cancel <orderId> [--intent <intentId>] [--charge <chargeUuid> --wallet <walletUuid>] [--reason <text>]
  cancelctl audit <intent|charge|order> <id> [--limit <1-100>] [--cursor <cursor>]
  cancelctl sweep [--dry-run]                 (the local stack only: runs the expiry sweep now)

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
  "env-file": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type OptionName = keyof typeof OPTIONS;
const GLOBAL: readonly OptionName[] = ["json", "env-file", "help"];

/** Which options each command takes, besides the global ones. */
const COMMAND_OPTIONS: Record<string, readonly OptionName[]> = {
  "intent cancel": ["reason", "idempotency-key"],
  "charge cancel": ["reason", "idempotency-key"],
  "order cancel": ["intent", "charge", "wallet", "reason", "idempotency-key"],
  audit: ["cursor", "limit"],
  sweep: ["dry-run"],
};

const AUDIT_TYPES = new Set(["intent", "charge", "order"]);

/**
 * Runs cancelctl.
 *
 * @returns the exit code (never throws)
 */
export const runCli = async (
  argv: readonly string[],
  env: Record<string, string | undefined>,
  output: Omit<Io, "json">,
): Promise<number> => {
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
    const command = noun === "audit" || noun === "sweep" ? noun : `${noun} ${verb}`;
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
      case "audit":
        expect(2, "<intent|charge|order> <id>");
        if (!AUDIT_TYPES.has(args[0] ?? ""))
          throw new UsageError("audit type must be intent, charge or order.");
        return await auditCommand(io, config(), {
          type: args[0] ?? "",
          id: args[1] ?? "",
          ...(values.cursor === undefined ? {} : { cursor: values.cursor }),
          ...(values.limit === undefined ? {} : { limit: values.limit }),
        });
      default:
        expect(0, "no arguments");
        return await sweepCommand(io, config(), { dryRun: values["dry-run"] === true });
    }
  } catch (error) {
    const usage =
      error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    if (usage) {
      output.err(`cancelctl: ${(error as Error).message}\nRun cancelctl --help for usage.\n`);
      return EXIT.usage;
    }
    const known =
      error instanceof TransportError || error instanceof ConfigError || error instanceof UnsignablePathError;
    output.err(
      `cancelctl: ${known ? (error as Error).message : ((error as Error).stack ?? String(error))}\n`,
    );
    if (json)
      output.out(
        JSON.stringify(
          { outcome: "FAILED", exitCode: EXIT.failed, error: (error as Error).message },
          null,
          2,
        ),
      );
    return EXIT.failed;
  }
};
