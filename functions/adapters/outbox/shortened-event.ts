/**
 * What the relay publishes for an event too large for any PutEvents call.
 *
 * Such an event can never be published as it is: EventBridge refuses every call holding it,
 * so sending it would fail the record until the stream parks it, with every later record of
 * its shard held behind it; skipping it would lose a committed outcome without a trace. The
 * relay publishes it **shortened** instead, with the same `eventId` (consumers de-duplicate
 * on it) and every small field as it was: its long texts (`reason`, `detail`) keep their
 * beginning and end with a `…[truncated, N chars]` marker, and `shortened` says that it was
 * shortened, from how many bytes, and which fields were cut. The full record is the audit
 * record `eventId` in the target's trail (`GET /api/v1/cancellations/{type}/{id}`, `cancelctl
 * audit`): the relay only ever publishes what was committed there. Each one is counted
 * (`OutboxEventsShortened`) and logged as an error: since audit records cap outside text
 * (functions/core/audit-text.ts), one happening means a record written before that cap or a
 * bug.
 *
 * Should shortening the long texts not be enough (a pathological id or key), every string of
 * the detail is cut the same way: at most 13 strings of 1,000 characters, at most 6 bytes
 * each once written, is under 80 KB, so the result always fits.
 */
import { truncateText } from "#core/audit-text.ts";
import type { AnnouncedEvent } from "#core/ports.ts";

/** The characters a long text keeps in a shortened event, marker included. */
export const SHORTENED_TEXT_CHARS = 1_000;

/** The free texts an announced event may carry (an outcome's reason and detail; a bulk job's reason). */
const LONG_TEXT_FIELDS = ["reason", "detail"] as const;

const cutStrings = (value: unknown, path: string, cut: string[]): unknown => {
  if (typeof value === "string") {
    if (value.length <= SHORTENED_TEXT_CHARS) return value;
    cut.push(path);
    return truncateText(value, SHORTENED_TEXT_CHARS);
  }
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key, cutStrings(inner, path ? `${path}.${key}` : key, cut)]),
  );
};

/**
 * The event as the relay publishes it when its entry is `originalBytes`, at or over the
 * limit: shortened until `fits` says it fits (see the file header).
 */
export const shortenedEvent = <E extends AnnouncedEvent>(
  event: E,
  originalBytes: number,
  fits: (event: E) => boolean,
): E => {
  const { shortened: _, ...whole } = event.detail as E["detail"] & Record<string, unknown>;
  const texts: string[] = [];
  const longTexts = Object.fromEntries(
    LONG_TEXT_FIELDS.filter((field) => whole[field] !== undefined).map((field) => [field, whole[field]]),
  );
  const firstTry = {
    ...event,
    detail: {
      ...whole,
      ...(cutStrings(longTexts, "", texts) as object),
      shortened: { originalBytes, fields: texts },
    },
  };
  if (fits(firstTry)) return firstTry;
  const all: string[] = [];
  const cutDetail = cutStrings(whole, "", all) as object;
  return { ...event, detail: { ...cutDetail, shortened: { originalBytes, fields: all } } };
};
