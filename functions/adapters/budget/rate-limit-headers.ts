/**
 * Reads the `X-RateLimit-Limit / -Remaining / -Reset` headers an upstream announces its
 * budget with (A55 documents them; the Procure-Core sandbox sends them when its limit is
 * on). The shared upstream budget honours what they say (announced-limits.ts).
 *
 * `X-RateLimit-Reset` has no standard unit: APIs send seconds until the reset, an epoch
 * timestamp in seconds, or one in milliseconds. The three are told apart by magnitude,
 * which is unambiguous for any date between 2001 and 5138:
 *
 * | value | read as |
 * |---|---|
 * | below 1e9 | seconds from now (1e9 s as a timestamp is September 2001) |
 * | 1e9 up to 1e11 | epoch seconds (1e11 s is the year 5138) |
 * | 1e11 and above | epoch milliseconds (1e11 ms is March 1973) |
 *
 * An HTTP date (`Wed, 25 Feb 2026 11:31:00 GMT`) is accepted too.
 */

import { parseRetryAfter } from "#adapters/http/retry-policy.ts";
import type { RateLimitInfo } from "#core/ports.ts";

const SECONDS_TIMESTAMP_FLOOR = 1e9;
const MILLISECONDS_TIMESTAMP_FLOOR = 1e11;
const HTTP_DATE = /^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

const toNumber = (value: string | null): number | undefined => {
  if (value === null || !/^\s*\d+(\.\d+)?\s*$/.test(value)) return undefined;
  return Number(value);
};

/** The epoch-ms instant an `X-RateLimit-Reset` value names, or `undefined` when it names none. */
export const readRateLimitReset = (value: string | null, nowMs: number): number | undefined => {
  if (value === null) return undefined;
  const number = toNumber(value);
  if (number === undefined) {
    // Only an HTTP date (IMF-fixdate); `Date.parse` alone would read "-5" as a year.
    if (!HTTP_DATE.test(value.trim())) return undefined;
    const date = Date.parse(value);
    return Number.isNaN(date) ? undefined : date;
  }
  if (number < SECONDS_TIMESTAMP_FLOOR) return nowMs + Math.round(number * 1000);
  if (number < MILLISECONDS_TIMESTAMP_FLOOR) return Math.round(number * 1000);
  return Math.round(number);
};

/** `X-RateLimit-*` as announced, when all three are present and readable. */
export const readRateLimit = (headers: Headers, nowMs: number): RateLimitInfo | undefined => {
  const limit = toNumber(headers.get("x-ratelimit-limit"));
  const remaining = toNumber(headers.get("x-ratelimit-remaining"));
  const resetAt = readRateLimitReset(headers.get("x-ratelimit-reset"), nowMs);
  if (limit === undefined || remaining === undefined || resetAt === undefined) return undefined;
  return { limit, remaining, resetAt };
};

/**
 * How long an answer (a 429) asks to wait, in ms: its `Retry-After` (seconds or an HTTP
 * date), else the time until `X-RateLimit-Reset`; `undefined` when it names neither.
 */
export const retryAfterMsOf = (headers: Headers, nowMs: number): number | undefined => {
  const retryAfter = parseRetryAfter(headers.get("retry-after"), nowMs);
  if (retryAfter !== undefined) return retryAfter;
  const resetAt = readRateLimitReset(headers.get("x-ratelimit-reset"), nowMs);
  return resetAt === undefined ? undefined : Math.max(0, resetAt - nowMs);
};
