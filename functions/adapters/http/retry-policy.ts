/**
 * The retry policy of the upstream exchange (upstream-exchange.ts), which every upstream
 * call goes through: network errors, per-attempt timeouts, 5xx and 429 are retried with
 * exponential backoff and full jitter, `Retry-After` is honoured, and the whole thing is
 * bounded by a number of attempts and by a deadline the caller passes in (the invocation's
 * remaining time). Every attempt is first admitted by the caller's `admit` (the upstream
 * budget's slot).
 *
 * Written here rather than taken from a library (cockatiel, p-retry were evaluated):
 * both draw their jitter from `Math.random` and sleep on real timers, with no way to
 * inject either, so the retry tests could not be deterministic; neither stops at an
 * absolute deadline nor lets a response (not an exception) ask for a specific delay,
 * which is what `Retry-After` on a 429 needs. What remains is ~100 lines.
 */

export interface RetrySettings {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Each attempt is aborted after this long (or at the deadline, if sooner). */
  attemptTimeoutMs: number;
}

export const DEFAULT_RETRY_SETTINGS: RetrySettings = {
  maxAttempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 4_000,
  attemptTimeoutMs: 5_000,
};

/** Time and chance, injected so tests decide both. */
export interface RetryEnvironment {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Uniform in [0, 1). */
  random(): number;
}

export const systemRetryEnvironment: RetryEnvironment = {
  now: () => Date.now(),
  random: () => Math.random(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

/** What the caller says of one answer: keep it, or try again (optionally not before `retryAfterMs`). */
export type RetryVerdict = { retry: false } | { retry: true; reason: string; retryAfterMs?: number };

export interface RetryEvent {
  attempt: number;
  reason: string;
  delayMs: number;
}

export interface RetryRun<T> {
  /** One attempt; must honour `signal` (the per-attempt timeout and the caller's signal). */
  attempt: (attempt: number, signal: AbortSignal) => Promise<T>;
  /** Judges an answer. Thrown errors are judged by `isRetryableError`. */
  judge: (answer: T) => RetryVerdict;
  isRetryableError: (error: unknown) => boolean;
  /**
   * Called before every attempt, the first included, before its timeout starts: the shared
   * upstream budget takes a slot here (and may wait for one, or refuse). Whatever it throws
   * ends the run as it is.
   */
  admit?: (attempt: number) => Promise<void>;
  /** Epoch ms after which no attempt starts and no wait extends. */
  deadline: number;
  signal?: AbortSignal;
  onRetry?: (event: RetryEvent) => void;
}

/** The last answer, and how many attempts it took. A retryable answer is returned when the budget ran out. */
export interface RetryResult<T> {
  answer: T;
  attempts: number;
  /** True when the answer still asked for a retry but attempts or time ran out. */
  exhausted: boolean;
}

/** Thrown when the last attempt failed with an error; `cause` is that error. */
export class RetriesExhaustedError extends Error {
  override name = "RetriesExhaustedError";
  readonly attempts: number;
  constructor(attempts: number, reason: string, options?: ErrorOptions) {
    super(`Gave up after ${attempts} attempt(s): ${reason}`, options);
    this.attempts = attempts;
  }
}

/** Delay before retry number `attempt` (1-based): full jitter over an exponential cap, at least `retryAfterMs`. */
export const backoffDelay = (
  settings: RetrySettings,
  attempt: number,
  random: number,
  retryAfterMs?: number,
): number => {
  const cap = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.floor(random * cap);
  return Math.max(jittered, retryAfterMs ?? 0);
};

export const createRetryPolicy = (
  settings: RetrySettings = DEFAULT_RETRY_SETTINGS,
  env: RetryEnvironment = systemRetryEnvironment,
) => ({
  settings,
  async run<T>(run: RetryRun<T>): Promise<RetryResult<T>> {
    for (let attempt = 1; ; attempt++) {
      if (run.deadline - env.now() <= 0 && attempt === 1) {
        throw new RetriesExhaustedError(0, "the deadline had already passed");
      }
      await run.admit?.(attempt);
      const remaining = run.deadline - env.now();
      const timeout = AbortSignal.timeout(Math.max(1, Math.min(settings.attemptTimeoutMs, remaining)));
      const signal = run.signal ? AbortSignal.any([run.signal, timeout]) : timeout;
      let verdict: RetryVerdict;
      let answer: T | undefined;
      let failure: unknown;
      try {
        answer = await run.attempt(attempt, signal);
        verdict = run.judge(answer);
        if (!verdict.retry) return { answer, attempts: attempt, exhausted: false };
      } catch (error) {
        if (run.signal?.aborted || !run.isRetryableError(error)) throw error;
        failure = error;
        verdict = { retry: true, reason: describeError(error) };
      }
      const delayMs = backoffDelay(settings, attempt, env.random(), verdict.retryAfterMs);
      const outOfBudget = attempt >= settings.maxAttempts || env.now() + delayMs >= run.deadline;
      if (outOfBudget) {
        if (failure !== undefined)
          throw new RetriesExhaustedError(attempt, verdict.reason, { cause: failure });
        return { answer: answer as T, attempts: attempt, exhausted: true };
      }
      run.onRetry?.({ attempt, reason: verdict.reason, delayMs });
      await env.sleep(delayMs, run.signal);
    }
  },
});

export type RetryPolicy = ReturnType<typeof createRetryPolicy>;

/** An error in one line for logs and retry reasons: its name and its cause's code (undici's) or its message. */
export const describeError = (error: unknown): string => {
  if (error instanceof Error) {
    const code = (error.cause as { code?: unknown } | undefined)?.code;
    return typeof code === "string" ? `${error.name}: ${code}` : `${error.name}: ${error.message}`;
  }
  return String(error);
};

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds from `nowMs`. */
export const parseRetryAfter = (value: string | null | undefined, nowMs: number): number | undefined => {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
};

/** Retryable HTTP statuses: 5xx and 429. Other 4xx never are. */
export const isRetryableStatus = (status: number): boolean => status === 429 || status >= 500;

/** Network failures and per-attempt timeouts, as thrown by `fetch`. */
export const isTransientFetchError = (error: unknown): boolean => {
  if (!(error instanceof Error)) return false;
  if (error.name === "TimeoutError" || error.name === "AbortError") return true;
  // undici reports socket-level failures as TypeError("fetch failed") with a cause, and a
  // body cut off mid-way (a reset while reading it) as TypeError("terminated").
  return error instanceof TypeError && (error.message === "fetch failed" || error.message === "terminated");
};
