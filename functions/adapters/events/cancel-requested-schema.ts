/**
 * The inbound `Cancel Requested` event's `detail`, as the bus handler accepts it
 * (docs/events.md). Unknown fields are ignored, so producers may add fields without
 * breaking; a known field of the wrong shape is refused with its path (`target.chargeUuid`).
 */
import * as v from "valibot";
import { INTENT_ID_PATTERN, MAX_ID_LENGTH, ORDER_ID_PATTERN, UUID_PATTERN } from "#core/identifiers.ts";
import { describeIssues, type FieldIssue, safeParseConfig } from "../validation/describe-issues.ts";
import { isSafeOneLineText } from "../validation/safe-text.ts";

export const CANCEL_REQUESTED_DETAIL_TYPE = "Cancel Requested";

export const MAX_REASON_LENGTH = 500;

// Id rules: functions/core/identifiers.ts (the same for the three triggers).

const id = v.pipe(
  v.string(),
  v.minLength(1, "must not be empty"),
  v.maxLength(MAX_ID_LENGTH, `must be at most ${MAX_ID_LENGTH} characters`),
  v.regex(ORDER_ID_PATTERN, "must hold only letters, digits and _ . : - and start with a letter or digit"),
);

/** Intent ids go into Procure-Core URLs, so they follow the client's own rule (core/identifiers.ts). */
export const intentIdSchema = v.pipe(
  v.string(),
  v.minLength(1, "must not be empty"),
  v.maxLength(MAX_ID_LENGTH, `must be at most ${MAX_ID_LENGTH} characters`),
  v.regex(INTENT_ID_PATTERN, "must hold only letters, digits, _ and - and start with a letter or digit"),
);

export const uuidSchema = v.pipe(v.string(), v.regex(UUID_PATTERN, "must be a UUID (8-4-4-4-12 hex digits)"));
const uuid = uuidSchema;

const chargeRef = v.object({ chargeUuid: uuid, walletUuid: uuid });

const intentTarget = v.object({ type: v.literal("intent"), id: intentIdSchema });
const chargeTarget = v.object({ type: v.literal("charge"), chargeUuid: uuid, walletUuid: uuid });
const orderTarget = v.object({
  type: v.literal("order"),
  orderId: id,
  intentId: v.optional(intentIdSchema),
  charge: v.optional(chargeRef),
});

/** Text that is stored and printed as it is (safe-text.ts): Unicode, no control characters. */
const safeText = v.check(
  isSafeOneLineText,
  "must not contain control characters (C0 with TAB, CR and LF; DEL; C1; U+2028, U+2029) or lone surrogates",
);

const printable = (max: number) =>
  v.pipe(
    v.string(),
    v.minLength(1, "must not be empty"),
    v.maxLength(max, `must be at most ${max} characters`),
    safeText,
  );

/**
 * Why a cancel was asked for: free text up to {@link MAX_REASON_LENGTH} characters, on one
 * line, with no control characters. The same rule on every door (HTTP intent, charge and
 * order; the bus), so no door stores a reason another would refuse.
 */
export const reasonSchema = v.pipe(
  v.string(),
  v.maxLength(MAX_REASON_LENGTH, `must be at most ${MAX_REASON_LENGTH} characters`),
  safeText,
);

/** The `detail` of a `Cancel Requested` event. */
export const cancelRequestedSchema = v.object({
  target: v.pipe(
    v.variant(
      "type",
      [intentTarget, chargeTarget, orderTarget],
      'must have type "intent", "charge" or "order"',
    ),
    v.check(
      (target) => target.type !== "order" || target.intentId !== undefined || target.charge !== undefined,
      "an order target needs intentId, charge or both",
    ),
  ),
  reason: v.optional(reasonSchema),
  /** Scopes the idempotency of the cancel; without it the event's id is used. */
  idempotencyKey: v.optional(printable(MAX_ID_LENGTH)),
  /** Who asked (a service or person), recorded as the audit record's actor. */
  requestedBy: v.optional(printable(MAX_ID_LENGTH)),
});

export type CancelRequested = v.InferOutput<typeof cancelRequestedSchema>;
export type CancelRequestedTarget = CancelRequested["target"];

export type CancelRequestedParse = { ok: true; value: CancelRequested } | { ok: false; issues: FieldIssue[] };

/**
 * Checks an event's `detail`. Invalid details are a value, not an exception: the handler
 * records and drops them (retrying cannot fix them).
 *
 * @returns the typed detail, or every problem as `{ field, message }` (field like `target.chargeUuid`)
 */
export const parseCancelRequested = (detail: unknown): CancelRequestedParse => {
  const result = v.safeParse(cancelRequestedSchema, detail, safeParseConfig);
  return result.success
    ? { ok: true, value: result.output }
    : { ok: false, issues: describeIssues(result.issues) };
};
