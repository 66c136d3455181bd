/**
 * What became of the simulation's work, read where the service keeps it: the audit table
 * (every final outcome is a record, with the bus event's id as its correlation id), the work
 * queue and its dead-letter queue (local SQS).
 */
import { type DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import type { AuditRecord } from "#core/ports.ts";
import type { LocalQueue } from "#local/stack/sqs/local-queue.ts";
import type { BusCancel } from "./load.ts";

export interface AuditRow {
  correlationId: string;
  trigger: string;
  outcome: string;
  final: boolean;
  targetType: string;
  targetId: string;
  at: number;
  /** `continuation` when the continuation finished what the trigger started. */
  via?: string;
}

/** Every audit record of the run (a scan: the simulation's table holds only its own). */
export const scanAudit = async (client: DynamoDBClient, table: string): Promise<AuditRow[]> => {
  const rows: AuditRow[] = [];
  let start: Record<string, import("@aws-sdk/client-dynamodb").AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: table,
        ProjectionExpression: "#r",
        ExpressionAttributeNames: { "#r": "record" },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      const record = JSON.parse(item.record?.S ?? "{}") as AuditRecord | { kind: "bulk-job" };
      // A bulk job's own trail (its transitions) names no target: its items' records count.
      if ("kind" in record) continue;
      rows.push({
        correlationId: record.correlationId,
        trigger: record.trigger,
        outcome: record.outcome,
        final: !(record.outcome === "FAILED" && record.retryable === true),
        targetType: record.target.type,
        targetId: record.target.id,
        at: Date.parse(record.at),
        ...(record.via === undefined ? {} : { via: record.via }),
      });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return rows;
};

const eventIdOf = (body: string): string => {
  try {
    return String((JSON.parse(body) as { id?: unknown }).id);
  } catch {
    return "";
  }
};

export interface BusAccount {
  requested: number;
  final: number;
  /** Still in the work queue (visible, in flight or delayed): not done, not lost. */
  queued: number;
  deadLettered: number;
  /** Neither final, queued nor dead-lettered: must be 0. */
  lost: number;
  lostIds: string[];
  /** Epoch ms of the last final bus outcome, per upstream. */
  lastFinalAt: { "procure-core": number; a55: number };
  outcomes: Record<string, number>;
}

export const upstreamOf = (targetType: string): "procure-core" | "a55" =>
  targetType === "charge" ? "a55" : "procure-core";

/** Every bus cancel's fate. An event counts once, whatever copies of it are queued. */
export const accountBus = (
  cancels: readonly BusCancel[],
  rows: readonly AuditRow[],
  queue: LocalQueue,
  deadLetters: LocalQueue,
): BusAccount => {
  const finalOf = new Map<string, AuditRow>();
  for (const row of rows) if (row.final && row.trigger === "bus") finalOf.set(row.correlationId, row);
  const queued = new Set(queue.messages().map((m) => eventIdOf(m.body)));
  const dead = new Set(deadLetters.messages().map((m) => eventIdOf(m.body)));
  const account: BusAccount = {
    requested: cancels.length,
    final: 0,
    queued: 0,
    deadLettered: 0,
    lost: 0,
    lostIds: [],
    lastFinalAt: { "procure-core": 0, a55: 0 },
    outcomes: {},
  };
  for (const cancel of cancels) {
    const final = finalOf.get(cancel.eventId);
    if (final) {
      account.final += 1;
      account.outcomes[final.outcome] = (account.outcomes[final.outcome] ?? 0) + 1;
      const upstream = upstreamOf(cancel.target.type);
      account.lastFinalAt[upstream] = Math.max(account.lastFinalAt[upstream], final.at);
    } else if (dead.has(cancel.eventId)) account.deadLettered += 1;
    else if (queued.has(cancel.eventId)) account.queued += 1;
    else {
      account.lost += 1;
      if (account.lostIds.length < 20) account.lostIds.push(cancel.eventId);
    }
  }
  return account;
};
