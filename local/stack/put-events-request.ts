/**
 * A PutEvents request read as EventBridge reads it, for the local bus (local-event-bus.ts,
 * its sibling: what happens to the events it accepts; put-events-endpoint.ts serves the
 * request). It refuses what EventBridge refuses, in EventBridge's shapes:
 *
 * - the request, whole (HTTP 400 `ValidationException`): no `Entries`, fewer than 1 or more
 *   than 10 of them, or entries whose sizes together reach the limit, each size by AWS's
 *   documented rule (Time 14 bytes; UTF-8 bytes of Source, DetailType, Detail and each
 *   Resources entry), computed here on its own so that a mistake in the publisher's
 *   arithmetic (functions/adapters/events/put-events-limits.ts) shows up as a refusal;
 * - one entry (`ErrorCode` and `ErrorMessage` in its place, counted in `FailedEntryCount`):
 *   a missing Source, DetailType or Detail (`InvalidArgument`), a Detail that is not a JSON
 *   object (`MalformedDetail`), and a bus that does not exist. EventBridge itself accepts an
 *   entry for a bus that does not exist and drops it (recorded against AWS in 2024); what the
 *   service meets is its role, allowed `events:PutEvents` on its own bus only, refused on any
 *   other: `AccessDeniedException`, which PutEvents documents as an entry's error. That is
 *   what this bus answers, so a misnamed bus fails here as it would deployed, instead of
 *   events vanishing.
 *
 * An entry accepted becomes the envelope a rule's target receives (`BusEvent`).
 */
import { randomUUID } from "node:crypto";

/** PutEvents takes 1 to 10 entries per call. */
export const MAX_ENTRIES = 10;
/** The entries of one call must together be smaller than this, by EventBridge's size rule (256 KB). */
export const MAX_REQUEST_BYTES = 256 * 1024;
/** Every account has it; PutEvents without an EventBusName puts there. */
export const DEFAULT_BUS = "default";
const LOCAL_ACCOUNT_ID = "000000000000";
const REGION = "us-east-1";
const TOO_LARGE = "Total size of the entries in the request is over the limit.";

/** One event as a bus target receives it (the EventBridge envelope). */
export interface BusEvent {
  version: "0";
  id: string;
  "detail-type": string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

/** An entry refused: its place in the result. */
export type EntryRefusal = { ErrorCode: string; ErrorMessage: string };

export type PutEventsResultEntry = { EventId: string } | EntryRefusal;

export interface PutEventsResult {
  FailedEntryCount: number;
  Entries: PutEventsResultEntry[];
}

/** The request itself is malformed (not one entry of it): the whole call is refused. */
export class PutEventsValidationError extends Error {
  override readonly name = "PutEventsValidationError";
}

/** An entry accepted: the bus it names and the event its targets receive. */
export interface AcceptedEntry {
  eventBusName: string;
  event: BusEvent;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const entryError = (code: string, message: string): EntryRefusal => ({
  ErrorCode: code,
  ErrorMessage: message,
});

const utf8Bytes = (value: unknown): number =>
  typeof value === "string" ? Buffer.byteLength(value, "utf8") : 0;

/** The size EventBridge counts for an entry (its documented rule; `EventBusName` does not count). */
export const entryBytes = (entry: unknown): number => {
  if (!isRecord(entry)) return 0;
  const resources = Array.isArray(entry.Resources) ? entry.Resources : [];
  return (
    (entry.Time === undefined || entry.Time === null ? 0 : 14) +
    utf8Bytes(entry.Source) +
    utf8Bytes(entry.DetailType) +
    utf8Bytes(entry.Detail) +
    resources.reduce((total: number, resource) => total + utf8Bytes(resource), 0)
  );
};

/** The bus an entry names: its `EventBusName`, a name or an ARN of this account and region, else `default`. */
const busNameOf = (entry: Record<string, unknown>): string => {
  const named = entry.EventBusName;
  if (typeof named !== "string" || named === "") return DEFAULT_BUS;
  const arn = /^arn:aws:events:([^:]+):(\d{12}):event-bus\/(.+)$/.exec(named);
  if (!arn) return named;
  return arn[1] === REGION && arn[2] === LOCAL_ACCOUNT_ID ? (arn[3] as string) : named;
};

const busArnOf = (name: string): string =>
  name.startsWith("arn:") ? name : `arn:aws:events:${REGION}:${LOCAL_ACCOUNT_ID}:event-bus/${name}`;

/** `Time` arrives as epoch seconds from the SDK (awsJson) or as an ISO string from a person. */
const timeOf = (value: unknown, now: number): Date | undefined => {
  if (value === undefined || value === null) return new Date(now);
  const date =
    typeof value === "number"
      ? new Date(value * 1000)
      : typeof value === "string"
        ? new Date(value)
        : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
};

/**
 * The request's entries, when the request as a whole is one EventBridge takes.
 *
 * @throws PutEventsValidationError when it is refused (no `Entries`, not 1 to 10 of them, or
 *   their sizes together at or over the limit), with AWS's message
 */
export const entriesOf = (request: unknown): unknown[] => {
  if (!isRecord(request) || !Array.isArray(request.Entries)) {
    throw new PutEventsValidationError(
      "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null",
    );
  }
  const entries: unknown[] = request.Entries;
  if (entries.length < 1 || entries.length > MAX_ENTRIES) {
    const bound = entries.length < 1 ? "greater than or equal to 1" : `less than or equal to ${MAX_ENTRIES}`;
    throw new PutEventsValidationError(
      `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${bound}`,
    );
  }
  if (entries.reduce((total: number, entry) => total + entryBytes(entry), 0) >= MAX_REQUEST_BYTES) {
    throw new PutEventsValidationError(TOO_LARGE);
  }
  return entries;
};

/**
 * One entry read as EventBridge reads it: refused (its error in the result), or the event
 * its targets receive.
 *
 * @param busNames - the buses that exist besides `default`
 */
export const readEntry = (
  entry: unknown,
  busNames: readonly string[],
  now: () => number,
): EntryRefusal | AcceptedEntry => {
  if (!isRecord(entry)) return entryError("InvalidArgument", "Each entry must be an object.");
  const eventBusName = busNameOf(entry);
  if (eventBusName !== DEFAULT_BUS && !busNames.includes(eventBusName)) {
    return entryError(
      "AccessDeniedException",
      `User: arn:aws:sts::${LOCAL_ACCOUNT_ID}:assumed-role/local/local is not authorized to perform: events:PutEvents on resource: ${busArnOf(eventBusName)} (the local stack has no bus of that name; it has ${[DEFAULT_BUS, ...busNames].join(", ")})`,
    );
  }
  for (const field of ["Source", "DetailType", "Detail"] as const) {
    if (typeof entry[field] !== "string" || entry[field] === "") {
      return entryError(
        "InvalidArgument",
        `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
      );
    }
  }
  let detail: unknown;
  try {
    detail = JSON.parse(entry.Detail as string);
  } catch {
    return entryError("MalformedDetail", "Detail is malformed.");
  }
  if (!isRecord(detail)) return entryError("MalformedDetail", "Detail must be a JSON object.");
  const time = timeOf(entry.Time, now());
  if (time === undefined) return entryError("InvalidArgument", "Parameter Time is not valid.");
  const resources = Array.isArray(entry.Resources)
    ? entry.Resources.filter((r): r is string => typeof r === "string")
    : [];
  const event: BusEvent = {
    version: "0",
    id: randomUUID(),
    "detail-type": entry.DetailType as string,
    source: entry.Source as string,
    account: LOCAL_ACCOUNT_ID,
    time: time.toISOString().replace(/\.\d{3}Z$/, "Z"),
    region: REGION,
    resources,
    detail,
  };
  return { eventBusName, event };
};
