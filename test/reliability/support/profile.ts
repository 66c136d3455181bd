/**
 * How big the reliability suite runs. One set of test files, two profiles chosen by
 * `RELIABILITY_PROFILE`: `full` (`npm run test:reliability`, a few minutes) and `reduced`
 * (the default, so plain `vitest run` / `npm test` stays quick). Both make the same
 * assertions; only the counts differ.
 *
 * `RELIABILITY_SEED` replaces the base seed every random choice of the suite derives from
 * (fault injectors, fast-check, target mixes, crash points), to replay a failed run.
 */

export type ProfileName = "full" | "reduced";

export interface ReliabilityProfile {
  name: ProfileName;
  /** Base seed; each case derives its own from it. */
  seed: number;
  storm: {
    /** Targets, half intents and half charges. */
    targets: number;
    /** Identical concurrent HTTP requests per target. */
    httpPerTarget: number;
    /** Duplicate bus events per target. */
    busPerTarget: number;
    /** Targets stormed at the same time. */
    targetsAtOnce: number;
  };
  faults: {
    /** Bus events, one per target. */
    events: number;
    /** Invocations running at once. */
    inFlight: number;
  };
  crash: { targets: number };
  /** Case 9: the bulk job's intents (its fan-out is killed twice). */
  bulkKill: { items: number };
  outage: {
    /** Cancels answered before DynamoDB goes away. */
    before: number;
    /** Cancels sent while DynamoDB is stopped under them (some before the stop, some after). */
    during: number;
    /** Bus events delivered after the stop. */
    busAfter: number;
  };
  fuzz: { httpRuns: number; busRuns: number };
  outbox: {
    /** Cancels across the three triggers (HTTP, bus, sweep), about a third each. */
    cancels: number;
    /** Cancels running at once (HTTP and bus; the sweep runs its own concurrency). */
    inFlight: number;
    /** Share of the relay's PutEvents calls the local bus refuses at random. */
    refuseRate: number;
    /** How long the local bus is down, in the middle of the cancels. */
    outageMs: number;
    /** Each relay invocation's Lambda budget (the deployed timeout is 60 s). */
    relayBudgetMs: number;
    /** Outcomes committed before the relay is killed mid-batch, and after. */
    killBefore: number;
    killAfter: number;
  };
  /**
   * Issue 11's burst, scaled down in time: `events` charges at once against A55's limit of
   * `limit` requests per `windowSeconds` (the documented 100 per 60 s, at a shorter window).
   */
  burst: { events: number; limit: number; windowSeconds: number };
  /** Timeout of a file's longest test. */
  testTimeoutMs: number;
}

const DEFAULT_SEED = 20_260_601;

const PROFILES: Record<ProfileName, Omit<ReliabilityProfile, "seed">> = {
  full: {
    name: "full",
    storm: { targets: 20, httpPerTarget: 100, busPerTarget: 100, targetsAtOnce: 4 },
    faults: { events: 1_000, inFlight: 16 },
    crash: { targets: 10 },
    bulkKill: { items: 1_000 },
    outage: { before: 10, during: 60, busAfter: 10 },
    fuzz: { httpRuns: 10_000, busRuns: 2_000 },
    outbox: {
      cancels: 1_000,
      inFlight: 8,
      refuseRate: 0.3,
      outageMs: 60_000,
      relayBudgetMs: 60_000,
      killBefore: 40,
      killAfter: 80,
    },
    burst: { events: 300, limit: 50, windowSeconds: 10 },
    testTimeoutMs: 600_000,
  },
  reduced: {
    name: "reduced",
    storm: { targets: 6, httpPerTarget: 30, busPerTarget: 30, targetsAtOnce: 3 },
    faults: { events: 100, inFlight: 8 },
    crash: { targets: 6 },
    bulkKill: { items: 150 },
    outage: { before: 4, during: 24, busAfter: 4 },
    fuzz: { httpRuns: 1_000, busRuns: 200 },
    outbox: {
      cancels: 120,
      inFlight: 8,
      refuseRate: 0.3,
      outageMs: 6_000,
      relayBudgetMs: 4_000,
      killBefore: 10,
      killAfter: 30,
    },
    burst: { events: 40, limit: 10, windowSeconds: 5 },
    testTimeoutMs: 120_000,
  },
};

/**
 * Reads the profile from the environment.
 *
 * @throws Error when `RELIABILITY_PROFILE` or `RELIABILITY_SEED` is set to something unusable
 */
export const readProfile = (env: Record<string, string | undefined> = process.env): ReliabilityProfile => {
  const name = env.RELIABILITY_PROFILE?.trim() || "reduced";
  if (name !== "full" && name !== "reduced") {
    throw new Error(`RELIABILITY_PROFILE must be "full" or "reduced", not "${name}"`);
  }
  const seedText = env.RELIABILITY_SEED?.trim();
  const seed = seedText ? Number(seedText) : DEFAULT_SEED;
  if (!Number.isSafeInteger(seed)) throw new Error("RELIABILITY_SEED must be an integer");
  return { ...PROFILES[name], seed };
};

/** A case's own seed, so the cases do not share one random sequence. */
export const caseSeed = (profile: ReliabilityProfile, caseNumber: number): number =>
  (profile.seed + caseNumber * 7_919) | 0;

export const profile: ReliabilityProfile = readProfile();
