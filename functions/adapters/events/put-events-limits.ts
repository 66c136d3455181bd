/**
 * What EventBridge's PutEvents accepts, as code: at most 10 entries a call, and entries whose
 * sizes together stay under a limit, each size computed by the documented rule ("Calculating
 * Amazon EventBridge PutEvents event entry size", EventBridge User Guide):
 *
 * - `Time`, when present: 14 bytes;
 * - `Source` and `DetailType`: their UTF-8 bytes;
 * - `Detail`, when present: its UTF-8 bytes;
 * - each `Resources` entry: its UTF-8 bytes.
 *
 * `EventBusName` and `TraceHeader` do not count. Over the limit AWS refuses the whole call,
 * not the entries (HTTP 400 `ValidationException`, "Total size of the entries in the request is
 * over the limit."), a single entry too large for any call included; over 10 entries, the
 * same exception. Entry-level problems (a malformed `Detail`) come back per entry instead.
 *
 * The limit: the rule's page and the PutEvents reference say 256 KB, "must be less than".
 * AWS announced on 2026-01-29 (Compute Blog, "serverless services now support payloads up to
 * 1 MB") that EventBridge event buses take up to 1 MB. We keep 256 KiB: it is accepted under
 * either limit, whichever a region or partition runs, and our events are capped far below it
 * (functions/core/audit-text.ts), so the smaller calls cost nothing in practice.
 */
import type { PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";

/** PutEvents takes 1 to 10 entries per call. */
export const PUT_EVENTS_MAX_ENTRIES = 10;

/** The entries of one call must together be smaller than this (bytes, by the rule above). */
export const PUT_EVENTS_LIMIT_BYTES = 256 * 1024;

/** What `Time` counts for, whatever its value. */
export const PUT_EVENTS_TIME_BYTES = 14;

const utf8Bytes = (text: string | undefined): number =>
  text === undefined ? 0 : Buffer.byteLength(text, "utf8");

/** The size EventBridge counts for one entry. */
export const putEventsEntrySize = (entry: PutEventsRequestEntry): number =>
  (entry.Time === undefined ? 0 : PUT_EVENTS_TIME_BYTES) +
  utf8Bytes(entry.Source) +
  utf8Bytes(entry.DetailType) +
  utf8Bytes(entry.Detail) +
  (entry.Resources ?? []).reduce((total, resource) => total + utf8Bytes(resource), 0);

/** True when entries of these sizes, together, make a call EventBridge accepts. */
export const fitsOnePutEventsCall = (entrySizes: readonly number[]): boolean =>
  entrySizes.length >= 1 &&
  entrySizes.length <= PUT_EVENTS_MAX_ENTRIES &&
  entrySizes.reduce((total, size) => total + size, 0) < PUT_EVENTS_LIMIT_BYTES;
