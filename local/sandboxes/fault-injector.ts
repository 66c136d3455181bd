/**
 * Fault knobs shared by both sandboxes: latency, 500s, 429 bursts, hangs and connection
 * resets, drawn from a seeded generator so a run with the same seed and the same request
 * order sees the same faults.
 */

export interface FaultSettings {
  /** Added to every answer. */
  latencyMs: number;
  /** Uniform extra latency in [0, latencyJitterMs). */
  latencyJitterMs: number;
  /** Probability of a 500 instead of handling the request. */
  errorRate: number;
  /** Probability of a 429 (with Retry-After) instead of handling the request. */
  rateLimitRate: number;
  /** The next N requests get a 429, whatever the rates say. */
  rateLimitBurst: number;
  /** Seconds announced in Retry-After on injected 429s. */
  retryAfterSeconds: number;
  /** Probability that the request is never answered. */
  hangRate: number;
  /** Probability that the connection is reset without an answer. */
  resetRate: number;
  seed: number;
}

export const NO_FAULTS: FaultSettings = {
  latencyMs: 0,
  latencyJitterMs: 0,
  errorRate: 0,
  rateLimitRate: 0,
  rateLimitBurst: 0,
  retryAfterSeconds: 1,
  hangRate: 0,
  resetRate: 0,
  seed: 1,
};

export type FaultDecision = "pass" | "error" | "rate-limit" | "hang" | "reset";

/** mulberry32: a tiny, well-known seeded PRNG; `Math.random` cannot be seeded. */
const seededRandom = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

const RATE_KEYS = ["errorRate", "rateLimitRate", "hangRate", "resetRate"] as const;

/** Rejects unknown knobs and out-of-range values, so a typo in a test is an error, not a silent no-op. */
export const validateFaults = (input: Record<string, unknown>): Partial<FaultSettings> => {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(input)) {
    if (!(key in NO_FAULTS)) throw new RangeError(`Unknown fault knob "${key}"`);
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new RangeError(`Fault knob "${key}" must be a non-negative number`);
    }
    if ((RATE_KEYS as readonly string[]).includes(key) && value > 1) {
      throw new RangeError(`Fault knob "${key}" is a probability in [0, 1]`);
    }
    out[key] = value;
  }
  return out as Partial<FaultSettings>;
};

export class FaultInjector {
  #settings: FaultSettings;
  #random: () => number;

  constructor(settings: Partial<FaultSettings> = {}) {
    this.#settings = { ...NO_FAULTS, ...validateFaults(settings) };
    this.#random = seededRandom(this.#settings.seed);
  }

  get settings(): Readonly<FaultSettings> {
    return this.#settings;
  }

  /** Changes knobs at run time; a new `seed` restarts the sequence. */
  update(changes: Partial<FaultSettings> | Record<string, unknown>): Readonly<FaultSettings> {
    const valid = validateFaults(changes as Record<string, unknown>);
    this.#settings = { ...this.#settings, ...valid };
    if (valid.seed !== undefined) this.#random = seededRandom(valid.seed);
    return this.#settings;
  }

  reset(): void {
    this.#settings = { ...NO_FAULTS };
    this.#random = seededRandom(NO_FAULTS.seed);
  }

  /** Draws the fate of one request and its latency. Always draws the same amount of numbers, so the sequence stays aligned. */
  next(): { decision: FaultDecision; delayMs: number } {
    const s = this.#settings;
    const roll = this.#random();
    const jitter = this.#random();
    const delayMs = s.latencyMs + Math.floor(jitter * s.latencyJitterMs);
    if (s.rateLimitBurst > 0) {
      this.#settings = { ...s, rateLimitBurst: s.rateLimitBurst - 1 };
      return { decision: "rate-limit", delayMs };
    }
    let threshold = 0;
    for (const [decision, rate] of [
      ["error", s.errorRate],
      ["rate-limit", s.rateLimitRate],
      ["hang", s.hangRate],
      ["reset", s.resetRate],
    ] as const) {
      threshold += rate;
      if (roll < threshold) return { decision, delayMs };
    }
    return { decision: "pass", delayMs };
  }
}
