/**
 * Reads the `X-RateLimit-Limit / -Remaining / -Reset` headers an upstream announces its
 * budget with (A55 documents them; the Procure-Core sandbox sends them when its limit is
 * on). The sweep's rate gate slows down on what they say.
 */
import type { RateLimitInfo } from "#core/ports.ts";

const toNumber = (value: string | null): number | undefined => {
  if (value === null || !/^\s*\d+(\.\d+)?\s*$/.test(value)) return undefined;
  return Number(value);
};

/** `X-RateLimit-*` as announced. `Reset` is epoch seconds; small values are read as seconds from now. */
export const readRateLimit = (headers: Headers, nowMs: number): RateLimitInfo | undefined => {
  const limit = toNumber(headers.get("x-ratelimit-limit"));
  const remaining = toNumber(headers.get("x-ratelimit-remaining"));
  const reset = toNumber(headers.get("x-ratelimit-reset"));
  if (limit === undefined || remaining === undefined || reset === undefined) return undefined;
  // Some APIs send seconds until the reset instead of a timestamp; 1e9 s is 2001, so no timestamp is smaller.
  const resetAt = reset < 1e9 ? nowMs + reset * 1000 : reset * 1000;
  return { limit, remaining, resetAt };
};
