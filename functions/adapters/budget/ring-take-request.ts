/**
 * The UpdateItem of one take on a ring item (budget-ring-store.ts; ADR 0008): its condition
 * is the ring's rule for the form the take was sent in, its update the form's change. The
 * update cannot branch, so each form is its own expression: a reset (nothing in the window:
 * the ring written anew with this take), or a step (a slot of the head bucket reused, the
 * head dropped when it was its last, `t` added to the open bucket, sealed when it is full).
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { takeSlot, uniformRing } from "./budget-ring.ts";
import type { RingTake } from "./budget-ring-store.ts";

const number = (value: number): AttributeValue => ({ N: String(value) });

const WANTS_NONE =
  "(attribute_not_exists(#wait) OR #wait < :t) AND (attribute_not_exists(#took) OR #took < :active)";

/** The update expression and condition of one take. */
export const takeRequestOf = (take: RingTake) =>
  take.form.resets ? resetRequestOf(take) : stepRequestOf(take);

/** Every slot is free (`newest <= t − window`): the ring is written anew with this one take. */
const resetRequestOf = (take: RingTake) => {
  const { size } = take;
  const background = take.priority === "background";
  const after = takeSlot(uniformRing(size, 0), take.t, take.cutoff, take.priority);
  return {
    UpdateExpression: `SET ${[
      "#times = :times",
      "#headLeft = :headLeft",
      "#tailCount = :tailCount",
      "#newest = :t",
      "#expiresAt = :expiresAt",
      ...(background ? ["#took = :t"] : []),
    ].join(", ")}`,
    ConditionExpression: [
      "#slots = :slots AND #bucket = :bucket AND #newest <= :cutoff",
      ...(take.borrowing ? [WANTS_NONE] : []),
    ].join(" AND "),
    ExpressionAttributeNames: {
      "#slots": "slots",
      "#bucket": "bucket",
      "#times": "bucketTimes",
      "#newest": "newest",
      "#headLeft": "headLeft",
      "#tailCount": "tailCount",
      "#expiresAt": "expiresAt",
      ...(background || take.borrowing ? { "#took": "backgroundTookAt" } : {}),
      ...(take.borrowing ? { "#wait": "backgroundWaitsUntil" } : {}),
    },
    ExpressionAttributeValues: {
      ":t": number(take.t),
      ":cutoff": number(take.cutoff),
      ":slots": number(size.slots),
      ":bucket": number(size.bucket),
      ":times": { L: after.bucketTimes.map(number) },
      ":headLeft": number(after.headLeft),
      ":tailCount": number(after.tailCount),
      ":expiresAt": number(take.expiresAt),
      ...(take.borrowing ? { ":active": number(take.backgroundActiveSince) } : {}),
    },
  };
};

/** A slot of the head bucket reused, `t` added to the open bucket (dropping and sealing as the form says). */
const stepRequestOf = (take: RingTake) => {
  const { form, size } = take;
  const background = take.priority === "background";
  const condition = [
    "#slots = :slots AND #bucket = :bucket AND #times[0] <= :cutoff AND #newest <= :t",
    form.dropsHead ? "#headLeft = :one" : "#headLeft > :one",
    form.seals ? "#tailCount = :lastInBucket AND size(#times) = :sealed" : "#tailCount < :lastInBucket",
    ...(take.borrowing
      ? ["(attribute_not_exists(#wait) OR #wait < :t) AND (attribute_not_exists(#took) OR #took < :active)"]
      : []),
  ].join(" AND ");
  const set = [
    form.dropsHead ? "#headLeft = :bucket" : "#headLeft = #headLeft - :one",
    form.seals ? "#tailCount = :zero" : "#tailCount = #tailCount + :one",
    ...(form.seals ? [`#times[${form.sealedCount}] = :t`] : []),
    "#newest = :t",
    "#expiresAt = :expiresAt",
    ...(background ? ["#took = :t"] : []),
  ];
  return {
    UpdateExpression: `${form.dropsHead ? "REMOVE #times[0] " : ""}SET ${set.join(", ")}`,
    ConditionExpression: condition,
    ExpressionAttributeNames: {
      "#slots": "slots",
      "#bucket": "bucket",
      "#times": "bucketTimes",
      "#newest": "newest",
      "#headLeft": "headLeft",
      "#tailCount": "tailCount",
      "#expiresAt": "expiresAt",
      ...(background || take.borrowing ? { "#took": "backgroundTookAt" } : {}),
      ...(take.borrowing ? { "#wait": "backgroundWaitsUntil" } : {}),
    },
    ExpressionAttributeValues: {
      ":t": number(take.t),
      ":cutoff": number(take.cutoff),
      ":slots": number(size.slots),
      ":bucket": number(size.bucket),
      ":one": number(1),
      ":lastInBucket": number(size.bucket - 1),
      ":expiresAt": number(take.expiresAt),
      ...(form.seals ? { ":sealed": number(form.sealedCount), ":zero": number(0) } : {}),
      ...(take.borrowing ? { ":active": number(take.backgroundActiveSince) } : {}),
    },
  };
};
