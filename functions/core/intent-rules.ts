/**
 * Procure-Core intent states and what each means for a cancel (seed 000, "取消状态说明"
 * and "替代方案"). Kept as data so the use cases, the sandbox and the docs agree.
 */
export const INTENT_STATUSES = [
  "DRAFT",
  "SUBMITTED",
  "PROCESSING",
  "COMPLETED",
  "FAILED",
  "CANCELLED",
] as const;
export type IntentStatus = (typeof INTENT_STATUSES)[number];

/** Only these are sent upstream; PROCESSING cancels complete asynchronously. */
export const CANCELLABLE_STATUSES: ReadonlySet<string> = new Set(["SUBMITTED", "PROCESSING"]);

/** The seed's advice for a state that cannot be cancelled. */
export const NOT_CANCELLABLE_ADVICE: Readonly<Record<string, string>> = {
  DRAFT: "Draft intents are not cancelled: delete the draft instead.",
  COMPLETED: "The intent completed: contact support for a return or refund.",
  FAILED: "The intent failed and needs no cancel: delete it instead.",
  CANCELLED: "The intent is already cancelled; a cancel cannot be repeated.",
};

export const adviceFor = (status: string): string =>
  NOT_CANCELLABLE_ADVICE[status] ?? `An intent in status ${status} cannot be cancelled.`;

export const isIntentStatus = (value: unknown): value is IntentStatus =>
  typeof value === "string" && (INTENT_STATUSES as readonly string[]).includes(value);
