/**
 * Submitting a bulk cancellation job.
 *
 * 1. Plan the manifest from the parsed lines (bulk-manifest.ts): limits, duplicates,
 *    invalid lines (refused, or kept as REJECTED on request). Nothing is written before
 *    the submission is known to be acceptable.
 * 2. Name the job after the submitter and its `Idempotency-Key` (a derived UUID): the same
 *    submission sent again is the same job, and its items the same idempotency scopes.
 * 3. Store the manifest and the job (QUEUED, due now for the driver) with its first trail
 *    record; the job's write is conditional on its absence. If it exists: the same
 *    submission is answered with it (a replay), another one under the same key is refused.
 */
import { jobAuditRecord } from "./bulk-audit.ts";
import type { BulkJob } from "./bulk-job.ts";
import { planManifest, type SubmittedLine } from "./bulk-manifest.ts";
import type { BulkDependencies } from "./bulk-ports.ts";

export interface SubmitContext {
  /** The submitter (an app id): the job's owner and each item's actor. */
  actor: string;
  correlationId: string;
  idempotencyKey: string;
}

export interface SubmitInput {
  lines: readonly SubmittedLine[];
  /** How the format numbers its lines: CSV lines, or items of a JSON list. */
  unit: "line" | "item";
  skipInvalid: boolean;
  reason?: string;
}

export type SubmitResult =
  | { kind: "created"; job: BulkJob }
  | { kind: "replayed"; job: BulkJob }
  | { kind: "payload-mismatch" };

/** The job a submitter's key names. */
export const bulkJobIdOf = (ids: { derived(name: string): string }, actor: string, key: string): string =>
  ids.derived(`bulk-job:${actor}:${key}`);

/**
 * @throws ValidationError / InvalidLinesError (bulk-manifest.ts) when the submission cannot run; nothing is written
 * @throws StoreUnavailableError when the store fails
 */
export const submitBulkJob = async (
  deps: Pick<BulkDependencies, "bulk" | "clock" | "ids">,
  context: SubmitContext,
  input: SubmitInput,
): Promise<SubmitResult> => {
  const plan = planManifest(input.lines, { skipInvalid: input.skipInvalid, unit: input.unit });
  const now = new Date(deps.clock.now()).toISOString();
  const payloadHash = deps.ids.derived(
    `bulk-submission:${JSON.stringify({ reason: input.reason ?? null, entries: plan.entries })}`,
  );
  const job: BulkJob = {
    id: bulkJobIdOf(deps.ids, context.actor, context.idempotencyKey),
    state: "QUEUED",
    version: 1,
    actor: context.actor,
    owner: context.actor,
    ...(input.reason !== undefined && { reason: input.reason }),
    idempotencyKey: context.idempotencyKey,
    correlationId: context.correlationId,
    payloadHash,
    manifest: { id: payloadHash },
    total: plan.entries.length,
    runnable: plan.runnable,
    rejected: plan.rejected,
    duplicates: plan.duplicates,
    upstreamCalls: plan.upstreamCalls,
    fanout: { next: 0, sent: 0 },
    createdAt: now,
    updatedAt: now,
    nextCheckAt: deps.clock.now(),
    started: 0,
    finished: 0,
    outcomes: {},
  };
  const audit = jobAuditRecord(
    deps.ids,
    undefined,
    job,
    `submitted: ${plan.runnable} to run, ${plan.duplicates} duplicate, ${plan.rejected} rejected`,
  );
  const created = await deps.bulk.create(job, plan.entries, [audit]);
  if (created.kind === "created") return { kind: "created", job };
  return created.job.payloadHash === payloadHash
    ? { kind: "replayed", job: created.job }
    : { kind: "payload-mismatch" };
};
