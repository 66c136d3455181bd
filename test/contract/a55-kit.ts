/**
 * Shared set-up for the A55 contract tests: a clock both the sandbox and the client read,
 * a retry policy whose sleeps advance that clock (so `Retry-After` is honoured without
 * waiting), credentials that count refreshes, and a fetch that records what was sent.
 */
import type { A55Credentials, A55Settings } from "#adapters/a55/a55-upstream.ts";
import { createRetryPolicy, type RetryPolicy, type RetrySettings } from "#adapters/http/retry-policy.ts";

/** A manual clock. Starts at a fixed epoch so `X-RateLimit-Reset` values are predictable. */
export class TestClock {
  ms = 1_750_000_000_000;
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** The shared policy with tiny backoff; each sleep moves `clock` forward and is recorded. */
export const testRetryPolicy = (
  clock: TestClock,
  settings: Partial<RetrySettings> = {},
): { policy: RetryPolicy; sleeps: number[] } => {
  const sleeps: number[] = [];
  const policy = createRetryPolicy(
    { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 50, attemptTimeoutMs: 2_000, ...settings },
    {
      now: clock.now,
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock.advance(ms);
      },
    },
  );
  return { policy, sleeps };
};

export interface CountingCredentials extends A55Credentials {
  readonly gets: number;
  readonly refreshes: number;
}

/** Credentials that answer `first` until refreshed, then `afterRefresh`. */
export const countingCredentials = (
  first: A55Settings,
  afterRefresh: A55Settings = first,
): CountingCredentials => {
  let gets = 0;
  let refreshes = 0;
  let current = first;
  return {
    get gets() {
      return gets;
    },
    get refreshes() {
      return refreshes;
    },
    get: async () => {
      gets++;
      return current;
    },
    refresh: async () => {
      refreshes++;
      current = afterRefresh;
      return current;
    },
  };
};

export interface SentRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** A fetch that records each request (lower-cased header names) and then sends it for real. */
export const recordingFetch = (): { fetch: typeof fetch; sent: SentRequest[] } => {
  const sent: SentRequest[] = [];
  const recording: typeof fetch = async (input, init) => {
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, key) => {
      headers[key] = value;
    });
    sent.push({ url: String(input), headers, body: typeof init?.body === "string" ? init.body : "" });
    return fetch(input, init);
  };
  return { fetch: recording, sent };
};
