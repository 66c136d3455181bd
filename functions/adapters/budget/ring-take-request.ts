/**
 * The UpdateItems on a ring item (budget-ring-store.ts; ADR 0008): a take in each of its forms
 * (budget-ring.ts says what they do), whose condition is the ring's rule for that form, and the
 * repair of a ring past a bucket's edge. The update cannot branch, so each form is its own
 * expression.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import type { UpstreamPriority } from "#core/ports.ts";
import { type RingRepair, type RingSize, type TakeForm, takeSlot, uniformRing } from "./budget-ring.ts";

/** One take: when, by whom, on a ring of which size, in which form. */
export interface RingTake {
  t: number;
  priority: UpstreamPriority;
  /** `t − window`: the reused slot must be at or before it. */
  cutoff: number;
  size: RingSize;
  form: TakeForm;
  /** Interactive work on the background ring: only while background work wants no slots. */
  borrowing: boolean;
  /** `t − BACKGROUND_ACTIVE_MS`: a background take since then means background work still wants slots. */
  backgroundActiveSince: number;
  /** TTL, epoch seconds. */
  expiresAt: number;
}

const number = (value: number): AttributeValue => ({ N: String(value) });

const WANTS_NONE =
  "(attribute_not_exists(#wait) OR #wait < :t) AND (attribute_not_exists(#took) OR #took < :active)";

const RING_NAMES = {
  "#slots": "slots",
  "#bucket": "bucket",
  "#times": "bucketTimes",
  "#newest": "newest",
  "#headLeft": "headLeft",
  "#tailCount": "tailCount",
};

interface Request {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, AttributeValue>;
}

/** Only the names and values the expressions use: DynamoDB refuses a request that declares others. */
const pruned = (request: Request): Request => {
  const text = `${request.UpdateExpression} ${request.ConditionExpression}`;
  const used = ([key]: [string, unknown]) =>
    new RegExp(`${key.replace(/[#:]/, "\\$&")}(?![A-Za-z0-9_])`).test(text);
  return {
    ...request,
    ExpressionAttributeNames: Object.fromEntries(
      Object.entries(request.ExpressionAttributeNames).filter(used),
    ),
    ExpressionAttributeValues: Object.fromEntries(
      Object.entries(request.ExpressionAttributeValues).filter(used),
    ),
  };
};

/** The update expression and condition of one take. */
export const takeRequestOf = (take: RingTake): Request => pruned(takeRequestIn(take));

const takeRequestIn = (take: RingTake): Request => {
  const { form, size } = take;
  const background = take.priority === "background";
  const [condition, update, values] =
    form.kind === "reset"
      ? resetOf(take)
      : form.kind === "shift"
        ? shiftOf(size, form.dropsHead, form.seals, form.sealedCount)
        : stepOf(size);
  return {
    UpdateExpression: [
      update.remove.length > 0 ? `REMOVE ${update.remove.join(", ")}` : "",
      `SET ${[...update.set, "#newest = :t", "#expiresAt = :expiresAt", ...(background ? ["#took = :t"] : [])].join(", ")}`,
    ]
      .filter(Boolean)
      .join(" "),
    ConditionExpression: [
      "#slots = :slots AND #bucket = :bucket AND #newest <= :t",
      ...condition,
      ...(take.borrowing ? [WANTS_NONE] : []),
    ].join(" AND "),
    ExpressionAttributeNames: {
      ...RING_NAMES,
      "#expiresAt": "expiresAt",
      ...(background || take.borrowing ? { "#took": "backgroundTookAt" } : {}),
      ...(take.borrowing ? { "#wait": "backgroundWaitsUntil" } : {}),
    },
    ExpressionAttributeValues: {
      ":t": number(take.t),
      ":cutoff": number(take.cutoff),
      ":slots": number(size.slots),
      ":bucket": number(size.bucket),
      ":expiresAt": number(take.expiresAt),
      ...values,
      ...(take.borrowing ? { ":active": number(take.backgroundActiveSince) } : {}),
    },
  };
};

type Form = [
  condition: string[],
  update: { remove: string[]; set: string[] },
  Record<string, AttributeValue>,
];

/** Every slot is free (`newest <= t − window`): the ring written anew with this one take. */
const resetOf = (take: RingTake): Form => {
  const after = takeSlot(uniformRing(take.size, 0), take.t, take.cutoff, take.priority);
  return [
    ["#newest <= :cutoff"],
    { remove: [], set: ["#times = :times", "#headLeft = :headLeft", "#tailCount = :tailCount"] },
    {
      ":times": { L: after.bucketTimes.map(number) },
      ":headLeft": number(after.headLeft),
      ":tailCount": number(after.tailCount),
    },
  ];
};

/** At a bucket's edge: a slot of the head bucket reused, the head dropped and the tail sealed as the form says. */
const shiftOf = (size: RingSize, dropsHead: boolean, seals: boolean, sealedCount: number): Form => [
  [
    "#times[0] <= :cutoff",
    dropsHead ? "#headLeft = :one" : "#headLeft > :one",
    seals ? "#tailCount = :lastInBucket AND size(#times) = :sealed" : "#tailCount < :lastInBucket",
  ],
  {
    remove: dropsHead ? ["#times[0]"] : [],
    set: [
      dropsHead ? "#headLeft = :bucket" : "#headLeft = #headLeft - :one",
      seals ? "#tailCount = :zero" : "#tailCount = #tailCount + :one",
      ...(seals ? [`#times[${sealedCount}] = :t`] : []),
    ],
  },
  {
    ":one": number(1),
    ":lastInBucket": number(size.bucket - 1),
    ...(seals ? { ":sealed": number(sealedCount), ":zero": number(0) } : {}),
  },
];

/** Anywhere within reach of an edge: only the counts move (the slot reused is the head bucket's, or the next one's once the head is spent). */
const stepOf = (size: RingSize): Form => [
  [
    "#tailCount < :tailBound",
    "((#headLeft > :zero AND #times[0] <= :cutoff) OR (#headLeft > :headBound AND #headLeft <= :zero AND #times[1] <= :cutoff))",
  ],
  { remove: [], set: ["#headLeft = #headLeft - :one", "#tailCount = #tailCount + :one"] },
  {
    ":one": number(1),
    ":zero": number(0),
    ":tailBound": number(2 * size.bucket - 1),
    ":headBound": number(-size.bucket),
  },
];

/** The repair of a ring past a bucket's edge: conditional on the edge still being passed and on the buckets as counted. */
export const repairRequestOf = (size: RingSize, repair: RingRepair): Request =>
  pruned(repairRequestIn(size, repair));

const repairRequestIn = (size: RingSize, repair: RingRepair): Request => {
  const drops = Array.from({ length: repair.drops }, (_, index) => `#times[${index}]`);
  const set = [
    ...(repair.drops > 0 ? ["#headLeft = #headLeft + :dropped"] : []),
    ...(repair.seals ? [`#times[${repair.sealedCount}] = #newest`, "#tailCount = #tailCount - :bucket"] : []),
  ];
  return {
    UpdateExpression: [drops.length > 0 ? `REMOVE ${drops.join(", ")}` : "", `SET ${set.join(", ")}`]
      .filter(Boolean)
      .join(" "),
    ConditionExpression: [
      "#slots = :slots AND #bucket = :bucket AND size(#times) = :sealed",
      ...(repair.drops > 0 ? ["#headLeft <= :headEdge"] : []),
      ...(repair.seals ? ["#tailCount >= :bucket"] : []),
    ].join(" AND "),
    ExpressionAttributeNames: RING_NAMES,
    ExpressionAttributeValues: {
      ":slots": number(size.slots),
      ":bucket": number(size.bucket),
      ":sealed": number(repair.sealedCount),
      ...(repair.drops > 0
        ? {
            ":dropped": number(repair.drops * size.bucket),
            ":headEdge": number(repair.drops === 2 ? -size.bucket : 0),
          }
        : {}),
    },
  };
};
