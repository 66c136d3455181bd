/**
 * The bulk cancellation routes, in the service's own dialect:
 *
 * - `POST /api/v1/bulk-cancellations[?skipInvalid=true][&reason=…]`: JSON or `text/csv`
 *   (bulk-submission-format.ts); `Idempotency-Key` required. 202 with the job and `Location`.
 * - `GET /api/v1/bulk-cancellations/{id}`: state, counts, progress, estimate.
 * - `GET /api/v1/bulk-cancellations/{id}/items[?outcome=&cursor=&limit=]`: per-item results;
 *   `Accept: text/csv` answers the whole report.
 * - `POST /api/v1/bulk-cancellations/{id}/stop`: 202 while items in flight finish, 200 once stopped.
 *
 * Every route authenticates through {@link bulkClient}, the one place where a grant for bulk
 * work is checked (`bulk: "read"` to read a job, `"write"` to submit or stop one). A job is
 * its submitter's: another client is answered 404, but an operator (`operator: "read"`) reads
 * every client's jobs, as it reads every trail (docs/security.md). Only the submitter stops one.
 */
import type { Client } from "#adapters/secrets/client-credentials.ts";
import { type BulkJob, ITEM_STATUSES, type ItemStatus } from "#core/bulk-job.ts";
import type { BulkBudget } from "#core/bulk-ports.ts";
import { allItemRows, itemsPage } from "#core/bulk-results.ts";
import { stopBulkJob } from "#core/bulk-stop.ts";
import { submitBulkJob } from "#core/bulk-submit.ts";
import type { Container } from "#wiring/container.ts";
import { authenticateSigned } from "./authenticate.ts";
import { readCsvSubmission, readJsonSubmission } from "./bulk-submission-format.ts";
import { bulkJobPath, bulkJobView, decodeItemsCursor, encodeItemsCursor, itemsCsv } from "./bulk-view.ts";
import { HttpProblem } from "./http-problem.ts";
import type { HttpRequest } from "./http-request.ts";
import { type HttpResponse, jsonResponse } from "./json-response.ts";
import { idempotencyKeyHeader } from "./request-schemas.ts";
import type { RouteCall } from "./route-call.ts";
import { authorize, authorizeBulkItems, readerOf } from "./route-grants.ts";

/** The largest submission body: 10,000 order lines with long ids and charges (~3.5 MB), under Lambda's 6 MB. */
export const BULK_MAX_BODY_BYTES = 5 * 1024 * 1024;

/** The caller of a bulk route: its signature checked (before any parsing), and its grant's `bulk`. */
const bulkClient = async (container: Container, request: HttpRequest, route: BulkRoute): Promise<Client> => {
  const client = await authenticateSigned(request, container.clients, Date.now());
  authorize(client, route, undefined);
  return client;
};

type BulkRoute = "bulk-submit" | "bulk-status" | "bulk-items" | "bulk-stop";

const budgetOf = (container: Container): BulkBudget => container.config.budget;

/**
 * The job if the client may see it (its own, or any for an operator reading), or 404 (never
 * 403: another client's job is not confirmed to exist).
 */
const visibleJob = async (
  container: Container,
  client: Client,
  id: string,
  as: "reader" | "owner",
): Promise<BulkJob> => {
  const job = /^[0-9a-f-]{36}$/.test(id) ? await container.bulk.get(id) : undefined;
  const reader = readerOf(client);
  if (!job || ((job.owner ?? job.actor) !== reader.client && !(as === "reader" && reader.operator)))
    throw new HttpProblem("not-found", `No bulk cancellation ${id}`);
  return job;
};

const skipInvalidOf = (query: URLSearchParams): boolean => {
  const value = query.get("skipInvalid");
  if (value === null || value === "false") return false;
  if (value === "true") return true;
  throw new HttpProblem("validation", "skipInvalid must be true or false", { field: "skipInvalid" });
};

export const bulkSubmitRoute = async ({
  container,
  request,
  correlationId,
}: RouteCall): Promise<HttpResponse> => {
  const client = await bulkClient(container, request, "bulk-submit");
  const caller = client.id;
  const key = idempotencyKeyHeader(request.header("idempotency-key"), true) as string;
  const contentType = (request.header("content-type") ?? "application/json")
    .split(";")[0]
    ?.trim()
    .toLowerCase();
  const skipInvalid = skipInvalidOf(request.query);
  let submission: ReturnType<typeof readJsonSubmission>;
  if (contentType === "text/csv") {
    submission = await readCsvSubmission(request.rawBody, request.query.get("reason") ?? undefined);
  } else if (contentType === "application/json") {
    if (request.query.has("reason")) {
      throw new HttpProblem("validation", "A JSON submission gives its reason in the body", {
        field: "reason",
      });
    }
    submission = readJsonSubmission(request.rawBody);
  } else {
    throw new HttpProblem("validation", "Content-Type must be application/json or text/csv", {
      field: "Content-Type",
    });
  }
  authorizeBulkItems(client, submission.lines);
  const result = await submitBulkJob(
    { bulk: container.bulk, clock: container.deps.clock, ids: container.deps.ids },
    { actor: caller, correlationId, idempotencyKey: key },
    {
      lines: submission.lines,
      unit: submission.unit,
      skipInvalid,
      ...(submission.reason !== undefined && { reason: submission.reason }),
    },
  );
  if (result.kind === "payload-mismatch") {
    throw new HttpProblem("idempotency-mismatch", "This Idempotency-Key was used for another submission");
  }
  container.logger.info("bulk cancellation submitted", {
    jobId: result.job.id,
    total: result.job.total,
    runnable: result.job.runnable,
    replayed: result.kind === "replayed",
  });
  return jsonResponse(202, bulkJobView(result.job, budgetOf(container)), {
    location: bulkJobPath(result.job.id),
    ...(result.kind === "replayed" && { "idempotent-replayed": "true" }),
  });
};

export const bulkStatusRoute = async ({ container, request, params }: RouteCall): Promise<HttpResponse> => {
  const client = await bulkClient(container, request, "bulk-status");
  const job = await visibleJob(container, client, params[0] ?? "", "reader");
  return jsonResponse(200, bulkJobView(job, budgetOf(container)));
};

const OUTCOMES = new Set<string>(ITEM_STATUSES);

export const bulkItemsRoute = async ({ container, request, params }: RouteCall): Promise<HttpResponse> => {
  const client = await bulkClient(container, request, "bulk-items");
  const job = await visibleJob(container, client, params[0] ?? "", "reader");
  const outcome = request.query.get("outcome") ?? undefined;
  if (outcome !== undefined && !OUTCOMES.has(outcome)) {
    throw new HttpProblem("validation", `outcome must be one of ${ITEM_STATUSES.join(", ")}`, {
      field: "outcome",
    });
  }
  if ((request.header("accept") ?? "").toLowerCase().includes("text/csv")) {
    const rows = (await allItemRows(container.bulk, job)).filter(
      (row) => !outcome || row.outcome === outcome,
    );
    return {
      statusCode: 200,
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="bulk-${job.id}.csv"`,
      },
      body: itemsCsv(rows),
    };
  }
  const limitText = request.query.get("limit") ?? "100";
  if (!/^\d{1,4}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 1000) {
    throw new HttpProblem("validation", "limit must be an integer from 1 to 1000", { field: "limit" });
  }
  const cursor = request.query.get("cursor");
  const from = cursor === null ? 0 : decodeItemsCursor(cursor, job);
  const page = await itemsPage(container.bulk, job, {
    from,
    limit: Number(limitText),
    ...(outcome !== undefined && { outcome: outcome as ItemStatus }),
  });
  return jsonResponse(200, {
    items: page.items,
    ...(page.next !== undefined && { cursor: encodeItemsCursor(page.next) }),
  });
};

export const bulkStopRoute = async ({ container, request, params }: RouteCall): Promise<HttpResponse> => {
  const client = await bulkClient(container, request, "bulk-stop");
  const id = params[0] ?? "";
  await visibleJob(container, client, id, "owner");
  const stopped = await stopBulkJob(
    { bulk: container.bulk, clock: container.deps.clock, ids: container.deps.ids },
    client.id,
    id,
  );
  if (stopped.kind === "not-found") throw new HttpProblem("not-found", `No bulk cancellation ${id}`);
  if (stopped.kind === "finished") {
    throw new HttpProblem("conflict", `The job is already ${stopped.job.state}: there is nothing to stop`);
  }
  const status = stopped.kind === "stopped" ? 200 : 202;
  return jsonResponse(status, bulkJobView(stopped.job, budgetOf(container)));
};
