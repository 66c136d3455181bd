import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { eventBridgeEvent } from "#test/support/lambda-events.ts";
import { fuzzDetail } from "./support/fuzz-bus.ts";
import { type FuzzRequest, fuzzRequest, toEvent } from "./support/fuzz-http.ts";
import { MIN_CREDENTIAL_LENGTH } from "./support/log-scan.ts";
import { caseSeed, profile } from "./support/profile.ts";
import { assertCleanRun, type ReliabilityRun, startReliabilityRun } from "./support/reliability-run.ts";
import { printSummary, type SummaryRow } from "./support/summary.ts";

/**
 * Case 4. Generated requests the service must refuse, through the exported HTTP and bus
 * handlers: garbage ids (unicode, percent-encoding, traversal, too long), wrong methods and
 * routes, missing or garbage signatures and bearer tokens, huge headers, non-JSON, deep
 * and oversized bodies, bodies that are not UTF-8, reasons holding control characters,
 * forged cursors, lying base64 flags, and garbage `Cancel Requested` details. Every
 * authentication failure of a route answers the same body.
 * Every answer is JSON and below 500, and no request reaches an upstream. fast-check
 * prints the seed and the shrunk counterexample of a failure.
 */
const SEED = caseSeed(profile, 5);
const { httpRuns, busRuns } = profile.fuzz;
/**
 * Shrinking a counterexample can take long (a 5,000-deep body shrinks one level at a time):
 * stop in time and report what was found, as a failure, instead of hitting the test timeout.
 */
const RUN_LIMITS = { interruptAfterTimeLimit: profile.testTimeoutMs - 15_000, markInterruptAsFailure: true };

const upstreamCount = (run: ReliabilityRun): number =>
  run.traffic.sent.length + run.kit.procureCore.requests.count() + run.kit.a55.seen().length;

/** What a failure report needs: the request without multi-kilobyte values. */
const brief = (request: FuzzRequest): string =>
  JSON.stringify(request, (_key, value: unknown) =>
    typeof value === "string" && value.length > 200 ? `${value.slice(0, 60)}…(${value.length} chars)` : value,
  );

describe(`reliability: fuzzing (${profile.name})`, () => {
  let run: ReliabilityRun;
  const rows: SummaryRow[] = [];
  const statuses = new Map<number, number>();
  const defects = new Map<string, number>();
  let credentialsScanned = 0;

  beforeAll(async () => {
    run = await startReliabilityRun({ name: "reliability-fuzz", dynamoEndpoint: inject("dynamoEndpoint") });
  });
  afterAll(async () => {
    await run?.stop();
    if (rows.length > 0) printSummary(profile, SEED, rows);
  });

  it(
    `${httpRuns} generated HTTP requests: JSON answers, no 5xx, no upstream call`,
    async () => {
      const { kit } = run;
      let serial = 0;
      const startedAt = Date.now();
      const unauthenticated = new Map<string, Set<string>>();
      const register = (value: string): void => {
        if (value.length < MIN_CREDENTIAL_LENGTH) return;
        run.credentials.add("X-Signature or bearer token sent", value);
        credentialsScanned += 1;
      };

      await fc.assert(
        fc.asyncProperty(fuzzRequest, async (request) => {
          serial += 1;
          const event = toEvent(request, kit, serial, register);
          const sentBefore = upstreamCount(run);

          const answer = await kit.http(event);

          statuses.set(answer.statusCode, (statuses.get(answer.statusCode) ?? 0) + 1);
          defects.set(request.defect, (defects.get(request.defect) ?? 0) + 1);
          const what = `${answer.statusCode} ${answer.rawBody.slice(0, 300)} for ${brief(request)}`;
          expect(answer.statusCode, what).toBeLessThan(500);
          if (request.defect !== "none") expect(answer.statusCode, what).toBeGreaterThanOrEqual(400);
          expect(answer.headers["content-type"], what).toMatch(/^application\/json/);
          expect(answer.rawBody.length, what).toBeGreaterThan(0);
          expect(() => JSON.parse(answer.rawBody), what).not.toThrow();
          expect(upstreamCount(run), `upstream called for ${brief(request)}`).toBe(sentBefore);
          if (answer.statusCode === 401) {
            // One answer per route for any authentication failure (the charge route echoes its path's charge).
            const { charge_uuid: _echoed, ...body } = JSON.parse(answer.rawBody) as Record<string, unknown>;
            const seen = unauthenticated.get(request.route) ?? new Set<string>();
            unauthenticated.set(request.route, seen.add(JSON.stringify(body)));
          }
        }),
        { seed: SEED, numRuns: httpRuns, ...RUN_LIMITS },
      );
      for (const [route, bodies] of unauthenticated)
        expect([...bodies], `401 bodies of ${route}`).toHaveLength(1);

      rows.push({
        case: "4 fuzz HTTP",
        requests: serial,
        upstream: run.traffic.sent.length,
        effects: kit.procureCore.effects.total() + kit.a55.effects.total(),
        retries: 0,
        deadLetters: 0,
        durationMs: Date.now() - startedAt,
        notes:
          `statuses ${[...statuses.entries()]
            .sort(([a], [b]) => a - b)
            .map(([s, n]) => `${s}×${n}`)
            .join(" ")}; ` + `defects ${[...defects.entries()].map(([d, n]) => `${d}×${n}`).join(" ")}`,
      });
    },
    profile.testTimeoutMs,
  );

  it(
    `${busRuns} generated Cancel Requested details: refused, never thrown, no upstream call`,
    async () => {
      const { kit } = run;
      const outcomes = new Map<string, number>();
      let delivered = 0;
      const startedAt = Date.now();

      await fc.assert(
        fc.asyncProperty(fuzzDetail, async ({ defect, detail }) => {
          delivered += 1;
          const sentBefore = upstreamCount(run);

          const delivery = await kit.deliverBus(eventBridgeEvent(detail));
          // Never a failure: the message is settled and deleted, never left to come back.
          expect(delivery.result, JSON.stringify(detail)?.slice(0, 300)).toEqual({
            ok: true,
            value: { batchItemFailures: [] },
          });
          const verdict = delivery.verdicts[0]?.verdict;
          const result =
            verdict?.kind === "settled"
              ? { outcome: verdict.outcome, replayed: verdict.replayed }
              : { outcome: `not settled: ${JSON.stringify(verdict)}`, replayed: false };

          outcomes.set(result.outcome, (outcomes.get(result.outcome) ?? 0) + 1);
          const what = `${JSON.stringify(result)} for ${defect}: ${JSON.stringify(detail)?.slice(0, 300)}`;
          if (defect === "unsendable-id") {
            // Valid for the bus, but an intent id the Procure-Core client refuses to put in a URL:
            // a final failure (or a refusal, when a generated idempotencyKey was reused).
            expect(["FAILED", "REJECTED"], what).toContain(result.outcome);
          } else {
            expect(result, what).toEqual({ outcome: "REJECTED", replayed: false });
          }
          expect(upstreamCount(run), `upstream called for ${what}`).toBe(sentBefore);
        }),
        { seed: SEED + 1, numRuns: busRuns, ...RUN_LIMITS },
      );

      rows.push({
        case: "4 fuzz bus",
        requests: delivered,
        upstream: run.traffic.sent.length,
        effects: kit.procureCore.effects.total() + kit.a55.effects.total(),
        retries: 0,
        deadLetters: 0,
        durationMs: Date.now() - startedAt,
        notes: `outcomes ${[...outcomes.entries()].map(([o, n]) => `${o}×${n}`).join(" ")}`,
      });
    },
    profile.testTimeoutMs,
  );

  it("logs hold no secret, token or signature (sent ones included); no unhandled rejection", () => {
    expect(credentialsScanned).toBeGreaterThan(0);
    assertCleanRun(run);
  });
});
