/**
 * The operators' read routes: a day's reconciliation and the cancellations still open.
 * Signed like the audit route, for clients whose grant holds `operator: "read"` only (every
 * client's records are in them), and answered in the service's own dialect like it
 * (`{error: {code, message, field?}}` on failure): they are this service's API, not an
 * upstream's.
 */
import { dailyReport } from "#core/daily-report.ts";
import { listOpenCancellations, type OpenFilter } from "#core/open-cancellations.ts";
import { authenticateSigned } from "./authenticate.ts";
import { HttpProblem } from "./http-problem.ts";
import { type HttpResponse, jsonResponse } from "./json-response.ts";
import { limitOf } from "./request-schemas.ts";
import type { RouteCall } from "./route-call.ts";
import { authorize } from "./route-grants.ts";

const FILTERS = new Set<OpenFilter>(["open", "stuck"]);

/** `GET /api/v1/reports/daily/{day}`: the reconciliation of one UTC day. */
export const dailyReportRoute = async ({ container, request, params, deadline }: RouteCall) => {
  const client = await authenticateSigned(request, container.clients, Date.now());
  authorize(client, "daily-report", undefined);
  const day = params[0] ?? "";
  const report = await dailyReport({ audit: container.deps.audit, clock: container.deps.clock }, day, {
    deadline,
  });
  return jsonResponse(200, report);
};

/** `GET /api/v1/cancellations?state=open|stuck&limit&cursor`: open cancellations, oldest-due first. */
export const openCancellationsRoute = async ({ container, request }: RouteCall): Promise<HttpResponse> => {
  const client = await authenticateSigned(request, container.clients, Date.now());
  authorize(client, "open-cancellations", undefined);
  const filter = request.query.get("state") ?? "open";
  if (!FILTERS.has(filter as OpenFilter)) {
    throw new HttpProblem("validation", "state must be open or stuck", { field: "state" });
  }
  const limit = limitOf(request.query.get("limit"));
  const cursor = request.query.get("cursor") ?? undefined;
  const page = await listOpenCancellations(
    { cancellations: container.deps.cancellations, clock: container.deps.clock },
    { filter: filter as OpenFilter, limit, ...(cursor === undefined ? {} : { cursor }) },
  );
  return jsonResponse(200, page);
};
