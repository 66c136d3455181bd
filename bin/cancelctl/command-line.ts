/**
 * What cancelctl's command line accepts: its options (`node:util` parseArgs), which command
 * takes which, and the error for a command line it refuses (exit 64).
 */

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export const OPTIONS = {
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

export type OptionName = keyof typeof OPTIONS;
export const GLOBAL: readonly OptionName[] = ["json", "env-file", "help"];

const DLQ_OPTIONS: readonly OptionName[] = [
  "queue",
  "outputs",
  "endpoint",
  "queue-url",
  "holds",
  "redrive-to",
];

/** Which options each command takes, besides the global ones. */
export const COMMAND_OPTIONS: Record<string, readonly OptionName[]> = {
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

export const AUDIT_TYPES = new Set(["intent", "charge", "order"]);
export const SINGLE_WORD = new Set(["audit", "sweep", "report", "pending"]);
