/**
 * fast-check generators of `Cancel Requested` details that cannot be carried out: not an
 * object, or an object with at least one invalid field (target, reason, idempotencyKey,
 * requestedBy), or a valid one naming an intent id the Procure-Core client refuses to send.
 */
import fc from "fast-check";
import { A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";
import { garbageId, garbageUuid, notAString, sendableId, unsendableId } from "./fuzz-values.ts";

export type BusDefect =
  | "not-an-object"
  | "target"
  | "reason"
  | "idempotency-key"
  | "requested-by"
  | "unsendable-id";

export interface FuzzDetail {
  defect: BusDefect;
  detail: unknown;
}

const validTarget = fc.oneof(
  sendableId.map((id) => ({ type: "intent", id })),
  fc.record({ type: fc.constant("charge"), chargeUuid: fc.uuid(), walletUuid: fc.constant(A55_DEMO_WALLET) }),
  fc.record({
    type: fc.constant("order"),
    orderId: sendableId,
    intentId: sendableId,
    charge: fc.record({ chargeUuid: fc.uuid(), walletUuid: fc.constant(A55_DEMO_WALLET) }),
  }),
);

const badTarget: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({
    type: fc.string({ maxLength: 10 }).filter((t) => !["intent", "charge", "order"].includes(t)),
    id: sendableId,
  }),
  garbageId.map((id) => ({ type: "intent", id })),
  notAString.map((id) => ({ type: "intent", id })),
  fc.record({ type: fc.constant("charge"), chargeUuid: garbageUuid, walletUuid: fc.uuid() }),
  fc.record({ type: fc.constant("charge"), chargeUuid: fc.uuid(), walletUuid: garbageUuid }),
  fc.record({ type: fc.constant("order"), orderId: sendableId }),
  fc.record({ type: fc.constant("order"), orderId: garbageId, intentId: sendableId }),
  fc.record({ type: fc.constant("order"), orderId: sendableId, charge: notAString }),
  notAString,
  fc.constant(undefined),
);

const badPrintable = fc.oneof(
  fc.constant(""),
  fc
    .tuple(
      fc.string({ maxLength: 10 }),
      fc.constantFrom("\u0000", "\n", "\u007f", "\u001b", "\t", "\u0085", "\u009b", "\u2028", "\ud800"),
      fc.string({ maxLength: 10 }),
    )
    .map(([a, c, b]) => `${a}${c}${b}`),
  fc.string({ unit: fc.constantFrom("k", "é"), minLength: 129, maxLength: 400 }),
  notAString,
);

/** Text holding a character no stored text may hold (a control character, a separator, a lone surrogate). */
const controlText = fc
  .tuple(
    fc.string({ maxLength: 40 }),
    fc.constantFrom(
      "\u0000",
      "\u0007",
      "\n",
      "\r",
      "\t",
      "\u001b[2J",
      "\u007f",
      "\u0085",
      "\u009b",
      "\u2028",
      "\u2029",
      "\udc00",
    ),
    fc.string({ maxLength: 40 }),
  )
  .map(([a, c, b]) => `${a}${c}${b}`);

const goodPrintable = fc.stringMatching(/^[\x21-\x7e]{1,64}$/);

const detailWith = (defect: BusDefect): fc.Arbitrary<unknown> => {
  const optionalGood = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
  return fc.record(
    {
      target:
        defect === "target"
          ? badTarget
          : defect === "unsendable-id"
            ? unsendableId.map((id) => ({ type: "intent", id }))
            : validTarget,
      reason:
        defect === "reason"
          ? fc.oneof(
              notAString,
              fc.string({ unit: fc.constantFrom("r", "é"), minLength: 501, maxLength: 1_500 }),
              controlText,
            )
          : optionalGood(fc.string({ maxLength: 100 })),
      idempotencyKey: defect === "idempotency-key" ? badPrintable : optionalGood(goodPrintable),
      requestedBy: defect === "requested-by" ? badPrintable : optionalGood(goodPrintable),
      extra: optionalGood(fc.jsonValue()),
    },
    { requiredKeys: ["target", "reason", "idempotencyKey", "requestedBy"] },
  );
};

/** A `Cancel Requested` detail that cannot be carried out (invalid, or naming an id that must not be sent). */
export const fuzzDetail: fc.Arbitrary<FuzzDetail> = fc.oneof(
  fc
    .anything()
    .filter((value) => !(typeof value === "object" && value !== null && "target" in value))
    .map((detail) => ({ defect: "not-an-object" as const, detail })),
  fc
    .constantFrom<BusDefect>("target", "reason", "idempotency-key", "requested-by", "unsendable-id")
    .chain((defect) => detailWith(defect).map((detail) => ({ defect, detail }))),
);
