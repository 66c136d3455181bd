import { describe, expect, it } from "vitest";
import { readRateLimit, readRateLimitReset, retryAfterMsOf } from "#adapters/budget/rate-limit-headers.ts";

/** 2026-02-25T11:30:00.500Z: half a second into an epoch second, so rounding shows. */
const NOW = 1_772_019_000_500;

describe("readRateLimitReset", () => {
  it.each([
    ["seconds from now", "30", NOW + 30_000],
    ["seconds from now, fractional", "1.5", NOW + 1_500],
    ["zero seconds", "0", NOW],
    ["epoch seconds", "1772019060", 1_772_019_060_000],
    ["epoch seconds, fractional", "1772019060.25", 1_772_019_060_250],
    ["epoch milliseconds", "1772019060123", 1_772_019_060_123],
    ["an HTTP date", "Wed, 25 Feb 2026 11:31:00 GMT", Date.UTC(2026, 1, 25, 11, 31, 0)],
  ])("reads %s (%s)", (_what, value, expected) => {
    expect(readRateLimitReset(value, NOW)).toBe(expected);
  });

  it("tells the three numeric forms apart at their borders", () => {
    // Just under 1e9 is 31.7 years from now; 1e9 is September 2001 in seconds; 1e11 is March 1973 in ms.
    expect(readRateLimitReset("999999999", NOW)).toBe(NOW + 999_999_999_000);
    expect(readRateLimitReset("1000000000", NOW)).toBe(1_000_000_000_000);
    expect(readRateLimitReset("99999999999", NOW)).toBe(99_999_999_999_000);
    expect(readRateLimitReset("100000000000", NOW)).toBe(100_000_000_000);
  });

  it.each([null, "", "soon", "-5", "1e3", "0x10"])("names no instant for %j", (value) => {
    expect(readRateLimitReset(value, NOW)).toBeUndefined();
  });
});

describe("readRateLimit", () => {
  const headers = (reset: string) =>
    new Headers({ "x-ratelimit-limit": "100", "x-ratelimit-remaining": "7", "x-ratelimit-reset": reset });

  it("reads the same reset whether it is announced in seconds from now, epoch seconds or epoch milliseconds", () => {
    // Prepare: one instant, three spellings of it.
    const resetAt = NOW + 42_000;

    // Act
    const read = [String(42), String(resetAt / 1000), String(resetAt)].map((reset) =>
      readRateLimit(headers(reset), NOW),
    );

    // Assess
    expect(read).toEqual([
      { limit: 100, remaining: 7, resetAt },
      { limit: 100, remaining: 7, resetAt },
      { limit: 100, remaining: 7, resetAt },
    ]);
  });

  it("is undefined unless all three headers are there and readable", () => {
    expect(
      readRateLimit(new Headers({ "x-ratelimit-limit": "100", "x-ratelimit-remaining": "7" }), NOW),
    ).toBeUndefined();
    expect(readRateLimit(headers("whenever"), NOW)).toBeUndefined();
  });
});

describe("retryAfterMsOf", () => {
  it("prefers Retry-After (seconds or a date), else the time until X-RateLimit-Reset, else nothing", () => {
    expect(retryAfterMsOf(new Headers({ "retry-after": "45", "x-ratelimit-reset": "10" }), NOW)).toBe(45_000);
    expect(retryAfterMsOf(new Headers({ "retry-after": "Wed, 25 Feb 2026 11:31:00 GMT" }), NOW)).toBe(59_500);
    expect(retryAfterMsOf(new Headers({ "x-ratelimit-reset": String(NOW + 12_000) }), NOW)).toBe(12_000);
    expect(
      retryAfterMsOf(new Headers({ "x-ratelimit-reset": String(Math.floor((NOW - 5_000) / 1000)) }), NOW),
    ).toBe(0);
    expect(retryAfterMsOf(new Headers(), NOW)).toBeUndefined();
  });
});
