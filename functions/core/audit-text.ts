/**
 * Text an audit record takes from outside is capped where the record is built (auditRecord,
 * transitionAudits): the upstreams' reasons and messages (`detail`, `upstream.message`,
 * `upstream.code`, `upstream.requestId`) have no length limit of their own, and the
 * requester's `reason` is capped at the door (500 characters) but capped here again so no
 * path around the door can grow a record. A longer text keeps its beginning and ends with a
 * visible marker, `…[truncated, 12345 chars]` (the original length), within the cap.
 *
 * Why 4,096 characters. A character of a JS string is at most 6 bytes once written: JSON
 * escapes a control character or a lone surrogate as `\uXXXX`; every other UTF-16 unit is at
 * most 3 bytes of UTF-8. So a capped field is at most 4,096 × 6 = 24,576 bytes.
 *
 * - DynamoDB item, 400 KB (409,600 bytes, names included): the audit item holds the record
 *   once as JSON (`record`) plus keys and copies under 300 bytes. Five capped fields make
 *   at most 5 × 24,576 = 122,880 bytes, and the rest of a record is under 2 KB (ids, target,
 *   times, enums; the door bounds ids and keys): under 126 KB, 31 % of the limit.
 * - EventBridge entry (put-events-limits.ts, 256 KiB): the event carries `reason` and
 *   `detail` only (outcome-events.ts): at most 2 × 24,576 = 49,152 bytes plus under 1 KB:
 *   under 50 KB, 19 % of the limit, so five such events still share one PutEvents call.
 * - A transition writes at most 3 audit records with its cancellation and key items in one
 *   TransactWriteItems (4 MB a transaction): under 0.4 MB of audit records.
 *
 * Ordinary records are far below: a measured audit item is under 1 KB (docs/capacity.md).
 */
import type { AuditRecord } from "./ports.ts";

/** The most characters an outside text keeps in an audit record, marker included. */
export const AUDIT_TEXT_MAX_CHARS = 4_096;

const markerOf = (length: number): string => `…[truncated, ${length} chars]`;

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;

/**
 * `text` when it has at most `maxChars` characters (UTF-16 units), else its beginning and
 * the marker, `maxChars` characters in all; a surrogate pair is never cut in two.
 */
export const truncateText = (text: string, maxChars: number): string => {
  if (text.length <= maxChars) return text;
  const marker = markerOf(text.length);
  let keep = Math.max(0, maxChars - marker.length);
  if (keep > 0 && isHighSurrogate(text.charCodeAt(keep - 1))) keep -= 1;
  return `${text.slice(0, keep)}${marker}`;
};

const capped = (text: string | undefined): string | undefined =>
  text === undefined ? undefined : truncateText(text, AUDIT_TEXT_MAX_CHARS);

/** A copy of the record with every outside text capped. */
export const capAuditText = (record: AuditRecord): AuditRecord => {
  const { upstream } = record;
  const upstreamCode = typeof upstream?.code === "string" ? capped(upstream.code) : upstream?.code;
  return {
    ...record,
    ...(record.reason !== undefined && { reason: capped(record.reason) }),
    ...(record.detail !== undefined && { detail: capped(record.detail) }),
    ...(upstream !== undefined && {
      upstream: {
        ...upstream,
        ...(upstream.message !== undefined && { message: capped(upstream.message) }),
        ...(upstream.code !== undefined && { code: upstreamCode }),
        ...(upstream.requestId !== undefined && { requestId: capped(upstream.requestId) }),
      },
    }),
  };
};
