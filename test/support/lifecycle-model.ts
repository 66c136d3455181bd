/**
 * The lifecycle's model-based test, independent of which stores it runs on: random
 * worlds (intents that end in every way the seed allows, charges pending or settled,
 * orders sharing intents, charges cancelled on their own), random waves of requests and
 * runs (lifecycle-scenario.ts) interleaved step by step by fast-check's scheduler, with
 * upstream faults, refused credentials, store writes that fail or are lost and invocations
 * killed around any write (lifecycle-invocations.ts); then quiescence (faults fixed, the platform
 * redelivering, callers retrying when they do, the continuation running on the clock) and
 * the invariants (lifecycle-invariants.ts).
 *
 * `lifecycleProperty` takes a factory of fresh ports, so the same model runs on the
 * in-memory ports (1,000+ cases in `npm test`) and on DynamoDB Local (a reduced run).
 */
import fc from "fast-check";
import { cancelCharge } from "#core/cancel-charge.ts";
import { cancelIntent } from "#core/cancel-intent.ts";
import { cancelOrder } from "#core/cancel-order.ts";
import { runContinuation } from "#core/continuation.ts";
import type { CancelContext, CancelDependencies } from "#core/dependencies.ts";
import { runExpirySweep } from "#core/expiry-sweep.ts";
import { type CancelOutcome, isReplayable } from "#core/outcome.ts";
import type { OnceResult } from "#core/run-once.ts";
import { checkInvariants } from "./lifecycle-invariants.ts";
import { faulty, interleaved, isSimulatedFault } from "./lifecycle-invocations.ts";
import {
  type Job,
  type RequestJob,
  type Scenario,
  type ScenarioSizes,
  scenario,
} from "./lifecycle-scenario.ts";
import {
  buildWorld,
  INVOCATION_MS,
  MODEL_OWNER,
  MODEL_POLICY,
  ModelClock,
  type StoreFactory,
  WALLET,
  type World,
} from "./lifecycle-world.ts";

/** One invocation: what it answered, or that it ended on a simulated fault (killed, a store write failed). */
export interface Attempt {
  job: Job;
  result?: OnceResult;
  failed: boolean;
}

const context = (
  w: World,
  trigger: CancelContext["trigger"],
  scopeKey: string | undefined,
): CancelContext => ({
  trigger,
  actor: trigger === "http" ? "storefront" : trigger === "bus" ? "storefront.orders" : "continuation",
  // One owner for every request, whatever its door: the model's requests for one order must
  // meet (join, resume), which two owners' orders of the same id never do.
  owner: trigger === "schedule" ? "schedule:continuation" : MODEL_OWNER,
  correlationId: `${trigger}-${scopeKey ?? "run"}-${w.clock.now()}`,
  deadline: w.clock.now() + INVOCATION_MS,
  ...(scopeKey && { idempotency: { scopeKey, key: scopeKey } }),
});

/** The idempotency scope of a request job: its trigger, its target and which of the caller's keys. */
export const scopeKeyOf = (job: RequestJob): string => {
  const target =
    job.kind === "order"
      ? `order_${job.order}`
      : job.kind === "intent"
        ? `intent_${job.intent}`
        : `charge_${job.charge}`;
  return `${job.trigger}:${target}:key${job.key}`;
};

const CONTINUATION_OPTIONS = { concurrency: 2, pageSize: 10, stopMarginMs: 1_000 };

const runRequest = (w: World, s: Scenario, on: CancelDependencies, job: RequestJob): Promise<OnceResult> => {
  const ctx = context(w, job.trigger, scopeKeyOf(job));
  switch (job.kind) {
    case "order":
      return cancelOrder(on, ctx, {
        orderId: w.orderIds[job.order] as string,
        intentId: w.intentIds[s.orders[job.order]?.intent ?? 0] as string,
        charge: { chargeUuid: w.orderChargeIds[job.order] as string, walletUuid: WALLET },
        reason: "model",
      });
    case "intent":
      return cancelIntent(on, ctx, { intentId: w.intentIds[job.intent] as string, reason: "model" });
    case "charge":
      return cancelCharge(on, ctx, {
        chargeUuid: w.singleChargeIds[job.charge] as string,
        walletUuid: WALLET,
        reason: "model",
      });
  }
};

/** Runs one job on `deps` (wrapped or not); a simulated fault is a result, anything else thrown is a defect. */
const runJob = async (w: World, s: Scenario, deps: CancelDependencies, job: Job): Promise<Attempt> => {
  const attempt: Attempt = { job, failed: false };
  const on = "fault" in job ? faulty(deps, job.fault) : deps;
  try {
    switch (job.kind) {
      case "order":
      case "intent":
      case "charge":
        attempt.result = await runRequest(w, s, on, job);
        break;
      case "sweep":
        await runExpirySweep(on, context(w, "schedule", undefined), {
          expiryAfterMs: 24 * 3_600_000,
          concurrency: 2,
          pageSize: 10,
          dryRun: false,
          stopMarginMs: 1_000,
        });
        break;
      case "continuation": {
        const stale =
          job.staleRead === undefined
            ? on
            : { ...on, cancellations: w.held.stale(on.cancellations, job.staleRead) };
        await runContinuation(stale, context(w, "schedule", undefined), CONTINUATION_OPTIONS);
        break;
      }
      case "progress":
        w.procureCore.progress(w.intentIds[job.intent] as string);
        break;
      case "tick":
        w.clock.current += job.ms;
        break;
      case "credentials":
        (job.upstream === "a55" ? w.a55 : w.procureCore).credentialsRefused = job.refused;
        break;
    }
  } catch (error) {
    if (!isSimulatedFault(error)) throw error;
    attempt.failed = true;
  }
  return attempt;
};

/** Whether a request must be made again: it failed, or did not end (operational failure, key busy). */
const unfinished = (attempt: Attempt): boolean =>
  attempt.failed ||
  (attempt.result !== undefined &&
    (attempt.result.kind !== "outcome" || !isReplayable(attempt.result.outcome)));

const isRequest = (job: Job): job is RequestJob =>
  job.kind === "order" || job.kind === "intent" || job.kind === "charge";

/** Runs a scenario to quiescence and checks every invariant; throws (with a reason) on a violation. */
export const runScenario = async (
  s: Scenario,
  makeStores: StoreFactory,
  scheduler: fc.Scheduler,
  ids: CancelDependencies["ids"],
): Promise<void> => {
  const clock = new ModelClock();
  const stores = await makeStores(clock);
  try {
    const w = buildWorld(s, stores, clock, ids);
    const concurrent = interleaved(w.deps, (label, run) =>
      scheduler.schedule(Promise.resolve(label), label).then(run),
    );
    const attempts: Attempt[] = [];

    // 1. The waves: each one's jobs at once, their steps interleaved by the scheduler.
    for (const wave of s.waves) {
      w.clock.current += wave.gapMs;
      w.faults.set(wave.faults);
      attempts.push(
        ...(await scheduler.waitFor(Promise.all(wave.jobs.map((job) => runJob(w, s, concurrent, job))))),
      );
    }

    // 2. Quiescence: faults and credentials fixed; the platform redelivers bus events until
    //    they settle; callers retry (when they do); the continuation runs on its schedule.
    w.faults.clear();
    w.procureCore.credentialsRefused = false;
    w.a55.credentialsRefused = false;
    const retries: Attempt[] = [];
    for (const attempt of [...attempts]) {
      const { job } = attempt;
      if (!isRequest(job) || !(job.trigger === "bus" || s.callersRetry)) continue;
      let last = attempt;
      for (let n = 0; unfinished(last) && n < 5; n++) {
        w.clock.current += INVOCATION_MS + 61_000;
        last = await runJob(w, s, w.deps, { ...job, fault: undefined });
        retries.push(last);
      }
    }
    for (let run = 0; run < 40; run++) {
      w.clock.current += MODEL_POLICY.maxBackoffMs;
      await runContinuation(w.deps, context(w, "schedule", undefined), CONTINUATION_OPTIONS);
    }

    // 3. The invariants.
    const answers = [...attempts, ...retries].flatMap((a): { job: RequestJob; outcome: CancelOutcome }[] =>
      isRequest(a.job) && a.result?.kind === "outcome" ? [{ job: a.job, outcome: a.result.outcome }] : [],
    );
    await checkInvariants(w, s, answers);
  } finally {
    await stores.close();
  }
};

/** The property: every generated scenario reaches quiescence with every invariant holding. */
export const lifecycleProperty = (
  makeStores: StoreFactory,
  ids: () => CancelDependencies["ids"],
  sizes: ScenarioSizes = { waves: 5, jobsPerWave: 4 },
) =>
  fc.asyncProperty(scenario(sizes), fc.scheduler(), (s, scheduler) =>
    runScenario(s, makeStores, scheduler, ids()),
  );

export type { Stores } from "./lifecycle-world.ts";
