/**
 * What the upstream exchange (upstream-exchange.ts) is given and what it reports: an
 * upstream's protocol and error dialect, a call's bounds, credentials and requests, its
 * answers, and the events behind the metrics.
 */
import type { UpstreamName } from "#core/errors.ts";
import type { UpstreamPriority } from "#core/ports.ts";
import type { UpstreamBudget } from "../budget/upstream-budget.ts";
import type { RetryEvent, RetryPolicy } from "./retry-policy.ts";
import type { AnswerFacts } from "./upstream-failures.ts";

/** One answer, its body read once by the upstream's dialect. */
export interface UpstreamAnswer<Body> {
  status: number;
  headers: Headers;
  body: Body;
}

/** How an upstream's answers read: the part of its registry entry the exchange needs. */
export interface UpstreamDialect<Body> {
  /** Reads a body once per answer; never throws (a body outside the contract reads as such). */
  parse(text: string): Body;
  /** What an answer says about itself, for errors, `meta` and retry reasons. */
  describe(answer: UpstreamAnswer<Body>): AnswerFacts;
  /** True for an answer whose status asks for a retry but which the upstream documents as final: no retry. */
  endsRetries?(answer: UpstreamAnswer<Body>): boolean;
}

/** An upstream as the exchange knows it (a registry entry is one). */
export interface UpstreamProtocol<N extends string, Body> {
  name: N;
  label: string;
  callTimeoutMs: number;
  dialect: UpstreamDialect<Body>;
}

/** The bounds of one call: its deadline (epoch ms), the caller's signal, its priority. */
export interface CallBounds {
  deadline: number;
  signal?: AbortSignal | undefined;
  priority?: UpstreamPriority | undefined;
}

/** One request as sent; `prepare` runs at each attempt (a signature covers that instant). */
export interface UpstreamRequest {
  /** Whose budget it counts against: the client id the upstream limits by. */
  client: string;
  prepare(): { url: string; method: "GET" | "POST"; headers: Record<string, string>; body?: string };
}

/** What a call authenticates with, and the one renewal a 401 gets. */
export interface CallCredentials<A> {
  current(bounds: CallBounds): Promise<A>;
  renew(rejected: A, bounds: CallBounds): Promise<A>;
}

export interface Sent<Body> {
  answer: UpstreamAnswer<Body>;
  attempts: number;
  /** The answer still asked for a retry (5xx) when attempts or time ran out. */
  exhausted: boolean;
}

export interface Answered<Body> extends Sent<Body> {
  /** From the call's start to its answer. */
  latencyMs: number;
}

/** One HTTP attempt, as it ended. */
export interface AttemptEvent<N extends string = UpstreamName> {
  upstream: N;
  operation: string;
  attempt: number;
  httpStatus?: number;
  requestId?: string;
  latencyMs: number;
  /** Set when the attempt ended without an answer (network error, timeout). */
  error?: string;
  /** Set when the answer's body was too large to read (bounded-body.ts): the bytes it declared or sent before it was dropped. */
  unreadBodyBytes?: number;
}

export interface UpstreamRetryEvent<N extends string = UpstreamName> extends RetryEvent {
  upstream: N;
  operation: string;
}

/** One logical call, reported once as it ends (answered or thrown). */
export interface CallEvent<N extends string = UpstreamName> {
  upstream: N;
  operation: string;
  httpStatus?: number;
  latencyMs: number;
  attempts: number;
}

/** What every client of the service is built with (the composition root passes one set to all). */
export interface ExchangeOptions<N extends string = UpstreamName> {
  /**
   * Defaults to the shared policy with default settings on `now`. A policy passed in must
   * read the same clock: deadlines are computed with it.
   */
  retryPolicy?: RetryPolicy | undefined;
  fetch?: typeof fetch | undefined;
  /** The upstream budget every attempt takes a slot from. Default: none. */
  budget?: UpstreamBudget<N> | undefined;
  /** Epoch ms: deadlines, latencies, signatures, rate-limit resets. */
  now?: (() => number) | undefined;
  onAttempt?: ((event: AttemptEvent<N>) => void) | undefined;
  onRetry?: ((event: UpstreamRetryEvent<N>) => void) | undefined;
  onCall?: ((event: CallEvent<N>) => void) | undefined;
}
