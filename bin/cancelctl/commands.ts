/**
 * The cancelctl commands: one request each, then a table (or `--json`) and an exit code
 * (verdicts.ts).
 */
import { type ApiAnswer, sendBearer, sendSigned, streamSweep } from "./api-client.ts";
import type { ClientConfig } from "./client-config.ts";
import { ownerQuery, withOwnershipHint } from "./grant-hints.ts";
import type { Io } from "./io.ts";
import {
  AUDIT_HEADER,
  auditRow,
  columnTable,
  flatten,
  jsonText,
  keyValueTable,
  progressLine,
  shellWord,
  terminalSafe,
} from "./render.ts";
import {
  auditVerdict,
  chargeVerdict,
  EXIT,
  type ExitCode,
  intentVerdict,
  orderStatusVerdict,
  orderVerdict,
  sweepVerdict,
  type Verdict,
} from "./verdicts.ts";

export type { Io };

const segment = encodeURIComponent;

const reasonBody = (reason: string | undefined): { reason: string } | undefined =>
  reason === undefined ? undefined : { reason };

const report = (
  io: Io,
  title: string,
  answer: ApiAnswer,
  verdict: Verdict,
  idempotencyKey: string | undefined,
): ExitCode => {
  const replayed = answer.headers.get("idempotent-replayed") === "true";
  const correlationId = answer.headers.get("x-correlation-id") ?? undefined;
  if (io.json) {
    io.out(
      jsonText({
        outcome: verdict.outcome,
        exitCode: verdict.exitCode,
        httpStatus: answer.status,
        ...(idempotencyKey ? { idempotencyKey } : {}),
        replayed,
        ...(correlationId ? { correlationId } : {}),
        body: answer.body,
      }),
    );
    return verdict.exitCode;
  }
  const rows: [string, string][] = [["HTTP status", String(answer.status)], ...flatten(answer.body)];
  if (idempotencyKey) rows.push(["idempotency key", idempotencyKey]);
  if (replayed) rows.push(["replayed", "yes (the stored answer of an earlier request with this key)"]);
  if (correlationId) rows.push(["correlation id", correlationId]);
  io.out(`${terminalSafe(verdict.outcome)}  ${terminalSafe(title)}\n\n${keyValueTable(rows)}`);
  return verdict.exitCode;
};

export const cancelIntentCommand = async (
  io: Io,
  config: ClientConfig,
  args: { intentId: string; reason?: string; idempotencyKey: string },
): Promise<ExitCode> => {
  const answer = await sendSigned(config, {
    method: "POST",
    path: `/api/v1/intents/${segment(args.intentId)}/cancel`,
    body: reasonBody(args.reason),
    idempotencyKey: args.idempotencyKey,
  });
  return report(io, `intent ${args.intentId}`, answer, intentVerdict(answer), args.idempotencyKey);
};

export const cancelChargeCommand = async (
  io: Io,
  config: ClientConfig,
  args: { chargeUuid: string; walletUuid: string; reason?: string; idempotencyKey: string },
): Promise<ExitCode> => {
  const answer = await sendBearer(config, {
    method: "POST",
    path: `/api/v1/bank/wallet/charge/${segment(args.chargeUuid)}/cancel/${segment(args.walletUuid)}/`,
    body: reasonBody(args.reason) ?? {},
    idempotencyKey: args.idempotencyKey,
  });
  const title = `charge ${args.chargeUuid} in wallet ${args.walletUuid}`;
  return report(io, title, answer, chargeVerdict(answer), args.idempotencyKey);
};

export const cancelOrderCommand = async (
  io: Io,
  config: ClientConfig,
  args: {
    orderId: string;
    intentId?: string;
    charge?: { chargeUuid: string; walletUuid: string };
    reason?: string;
    idempotencyKey: string;
  },
): Promise<ExitCode> => {
  const body = {
    ...(args.intentId === undefined ? {} : { intentId: args.intentId }),
    ...(args.charge === undefined ? {} : { charge: args.charge }),
    ...(args.reason === undefined ? {} : { reason: args.reason }),
  };
  const answer = await sendSigned(config, {
    method: "POST",
    path: `/api/v1/orders/${segment(args.orderId)}/cancel`,
    body,
    idempotencyKey: args.idempotencyKey,
  });
  return report(io, `order ${args.orderId}`, answer, orderVerdict(answer), args.idempotencyKey);
};

export const orderStatusCommand = async (
  io: Io,
  config: ClientConfig,
  args: { orderId: string; owner?: string },
): Promise<ExitCode> => {
  const query = ownerQuery(args.owner);
  const answer = await sendSigned(config, {
    method: "GET",
    path: `/api/v1/orders/${segment(args.orderId)}/cancellation${query.size > 0 ? `?${query.toString()}` : ""}`,
  });
  const verdict = orderStatusVerdict(answer);
  const data = answer.body;
  if (io.json || answer.status !== 200 || data === null || typeof data !== "object") {
    const code = report(io, `order ${args.orderId}: its cancellation`, answer, verdict, undefined);
    return withOwnershipHint(io, answer, code);
  }
  const title = `${verdict.outcome}  order ${args.orderId}: its cancellation`;
  io.out(`${terminalSafe(title)}\n\n${keyValueTable(flatten(data))}`);
  return verdict.exitCode;
};

export const auditCommand = async (
  io: Io,
  config: ClientConfig,
  args: { type: string; id: string; cursor?: string; limit?: string; owner?: string },
): Promise<ExitCode> => {
  const query = ownerQuery(args.owner);
  if (args.limit !== undefined) query.set("limit", args.limit);
  if (args.cursor !== undefined) query.set("cursor", args.cursor);
  const search = query.size > 0 ? `?${query.toString()}` : "";
  const answer = await sendSigned(config, {
    method: "GET",
    path: `/api/v1/cancellations/${segment(args.type)}/${segment(args.id)}${search}`,
  });
  const verdict = auditVerdict(answer);
  if (io.json || verdict.exitCode !== EXIT.ok)
    return withOwnershipHint(
      io,
      answer,
      report(io, `audit of ${args.type} ${args.id}`, answer, verdict, undefined),
    );
  const { items, cursor } = answer.body as { items: unknown[]; cursor?: string };
  const target = terminalSafe(`${args.type} ${args.id}`);
  const title = `${items.length} audit record${items.length === 1 ? "" : "s"} of ${target}, newest first`;
  io.out(
    items.length === 0
      ? `No audit records of ${target}.`
      : `${title}\n\n${columnTable(AUDIT_HEADER, items.map(auditRow))}`,
  );
  // A command to paste: every word quoted for the shell, the cursor (the service's text) included.
  if (cursor) {
    io.out(
      `\nMore: cancelctl audit ${shellWord(args.type)} ${shellWord(args.id)} --cursor ${shellWord(cursor)}`,
    );
  }
  return EXIT.ok;
};

export const sweepCommand = async (
  io: Io,
  config: ClientConfig,
  args: { dryRun: boolean },
): Promise<ExitCode> => {
  let summary: unknown;
  let error: string | undefined;
  let progressShown = false;
  let lastProgress = "";
  const showProgress = (text: string): void => {
    const line = terminalSafe(text);
    if (line === lastProgress) return;
    lastProgress = line;
    if (io.errIsTty) {
      io.err(`\r\x1b[2K${line}`);
      progressShown = true;
    } else {
      io.err(`${line}\n`);
    }
  };
  const result = await streamSweep(config, args.dryRun, (line) => {
    const message = line as {
      type?: string;
      progress?: unknown;
      summary?: unknown;
      error?: string;
      reason?: string;
    };
    if (message.type === "progress") showProgress(progressLine(message.progress));
    else if (message.type === "waiting")
      showProgress(`sweep: waiting (${message.reason ?? "another sweep is running"})`);
    else if (message.type === "summary") summary = message.summary;
    else if (message.type === "error") error = message.error ?? "unknown error";
  });
  if (progressShown) io.err("\n");
  if (result.body !== undefined) {
    const hint = result.status === 404 ? " (POST /sweep exists on the local stack only: npm start)" : "";
    io.err(`cancelctl: the sweep did not start: HTTP ${result.status}${hint}\n`);
    if (io.json)
      io.out(
        jsonText({ outcome: "FAILED", exitCode: EXIT.failed, httpStatus: result.status, body: result.body }),
      );
    return EXIT.failed;
  }
  if (error !== undefined || summary === undefined) {
    const message = error ?? "the stream ended without a summary";
    if (io.json) io.out(jsonText({ outcome: "FAILED", exitCode: EXIT.failed, error: message }));
    else io.out(`FAILED  sweep\n\n  ${terminalSafe(message)}`);
    return EXIT.failed;
  }
  const verdict = sweepVerdict(summary);
  if (io.json) {
    io.out(jsonText({ outcome: verdict.outcome, exitCode: verdict.exitCode, summary }));
  } else {
    io.out(
      `${verdict.outcome}  ${args.dryRun ? "expiry sweep, dry run: nothing cancelled" : "expiry sweep"}\n\n${keyValueTable(flatten(summary))}`,
    );
  }
  return verdict.exitCode;
};
