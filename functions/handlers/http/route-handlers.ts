/**
 * One function per route: authenticate (before any parsing), validate, check the client's
 * grant (route-grants.ts), run one use case, shape the answer. Errors are thrown and turned
 * into responses by `error-response.ts`.
 */
import { cancelCharge } from "#core/cancel-charge.ts";
import { cancelIntent } from "#core/cancel-intent.ts";
import { cancelOrder } from "#core/cancel-order.ts";
import { isValidIntentId, isValidOrderId, isValidUuid } from "#core/identifiers.ts";
import { readOrderCancellation, readTrail } from "#core/owned-reads.ts";
import { reportOnce } from "../report.ts";
import { authenticateBearer, authenticateSigned } from "./authenticate.ts";
import { bulkItemsRoute, bulkStatusRoute, bulkStopRoute, bulkSubmitRoute } from "./bulk-routes.ts";
import { httpCancelContext } from "./cancel-context.ts";
import { cancellationView } from "./cancellation-view.ts";
import { HttpProblem } from "./http-problem.ts";
import { type HttpResponse, jsonResponse } from "./json-response.ts";
import { dailyReportRoute, openCancellationsRoute } from "./operations-routes.ts";
import { chargeResponse, intentResponse, orderResponse, respondToOnce } from "./outcome-responses.ts";
import {
  idempotencyKeyHeader,
  limitOf,
  orderBodySchema,
  ownerParamOf,
  parseBody,
  reasonBodySchema,
} from "./request-schemas.ts";
import type { RouteCall } from "./route-call.ts";
import { authorize, readerOf } from "./route-grants.ts";
import type { RouteName } from "./routes.ts";

const requireValid = (ok: boolean, field: string, message: string): void => {
  if (!ok) throw new HttpProblem("validation", message, { field });
};

const intentCancel = async ({ container, request, params, correlationId, deadline }: RouteCall) => {
  const client = await authenticateSigned(request, container.clients, Date.now());
  const intentId = params[0] ?? "";
  requireValid(
    isValidIntentId(intentId),
    "id",
    "The intent id must hold only letters, digits, _ and - and start with a letter or digit",
  );
  const { reason } = parseBody(request.rawBody, reasonBodySchema);
  const key = idempotencyKeyHeader(request.header("idempotency-key"), false);
  authorize(client, "intent-cancel", undefined);
  const context = httpCancelContext(client.id, "intent-cancel", correlationId, deadline, key);
  const result = await cancelIntent(container.deps, context, { intentId, reason });
  return respondToOnce(reportOnce(container, "http", result), intentResponse);
};

const chargeCancel = async ({ container, request, params, correlationId, deadline }: RouteCall) => {
  const client = await authenticateBearer(request, container.clients, Date.now());
  const [chargeUuid = "", walletUuid = ""] = params;
  requireValid(isValidUuid(chargeUuid), "charge_uuid", "charge_uuid must be a UUID");
  requireValid(isValidUuid(walletUuid), "wallet_uuid", "wallet_uuid must be a UUID");
  authorize(client, "charge-cancel", { walletUuid });
  const { reason } = parseBody(request.rawBody, reasonBodySchema);
  const key = idempotencyKeyHeader(request.header("idempotency-key"), false);
  const context = httpCancelContext(client.id, "charge-cancel", correlationId, deadline, key);
  const result = await cancelCharge(container.deps, context, { chargeUuid, walletUuid, reason });
  return respondToOnce(reportOnce(container, "http", result), chargeResponse(chargeUuid, walletUuid));
};

const orderCancel = async ({ container, request, params, correlationId, deadline }: RouteCall) => {
  const client = await authenticateSigned(request, container.clients, Date.now());
  const orderId = params[0] ?? "";
  requireValid(isValidOrderId(orderId), "orderId", "The order id must hold only letters, digits and _ . : -");
  const body = parseBody(request.rawBody, orderBodySchema);
  const key = idempotencyKeyHeader(request.header("idempotency-key"), true);
  // The order's charge reaches A55 as the charge route does: its wallet is checked here too.
  authorize(client, "order-cancel", { intentId: body.intentId, charge: body.charge });
  const context = httpCancelContext(client.id, "order-cancel", correlationId, deadline, key);
  const result = await cancelOrder(container.deps, context, { orderId, ...body });
  return respondToOnce(reportOnce(container, "http", result), orderResponse);
};

const orderStatus = async ({ container, request, params }: RouteCall) => {
  const client = await authenticateSigned(request, container.clients, Date.now());
  const orderId = params[0] ?? "";
  requireValid(isValidOrderId(orderId), "orderId", "The order id must hold only letters, digits and _ . : -");
  const owner = ownerParamOf(request.query.get("owner"));
  authorize(client, "order-status", undefined);
  const cancellation = await readOrderCancellation(container.deps, readerOf(client), orderId, owner);
  // Another client's order is answered as absent: a 403 would tell that it exists.
  if (!cancellation) {
    throw new HttpProblem("not-found", `Order ${orderId} has no cancellation (never requested, or expired)`);
  }
  return jsonResponse(200, cancellationView(cancellation));
};

const TARGET_TYPES = new Set(["intent", "charge", "order"]);

const auditTrail = async ({ container, request, params }: RouteCall) => {
  const client = await authenticateSigned(request, container.clients, Date.now());
  const [type = "", id = ""] = params;
  requireValid(TARGET_TYPES.has(type), "type", "type must be intent, charge or order");
  requireValid(
    type === "charge" ? isValidUuid(id) : type === "intent" ? isValidIntentId(id) : isValidOrderId(id),
    "id",
    "The id is not valid for this type",
  );
  const limit = limitOf(request.query.get("limit"));
  const cursor = request.query.get("cursor") ?? undefined;
  const owner = ownerParamOf(request.query.get("owner"));
  const targetType = type as "intent" | "charge" | "order";
  authorize(client, "audit-trail", { type: targetType });
  const page = await readTrail(container.deps, readerOf(client), {
    type: targetType,
    id,
    ...(owner !== undefined && { owner }),
    limit,
    ...(cursor !== undefined && { cursor }),
  });
  // No record this client may read: the same 404 whether the target is another's or unknown.
  if (!page) throw new HttpProblem("not-found", `No audit records of ${type} ${id}`);
  return jsonResponse(200, page);
};

export const ROUTE_HANDLERS: Record<RouteName, (call: RouteCall) => Promise<HttpResponse>> = {
  "intent-cancel": intentCancel,
  "charge-cancel": chargeCancel,
  "order-cancel": orderCancel,
  "order-status": orderStatus,
  "audit-trail": auditTrail,
  "daily-report": dailyReportRoute,
  "open-cancellations": openCancellationsRoute,
  "bulk-submit": bulkSubmitRoute,
  "bulk-status": bulkStatusRoute,
  "bulk-items": bulkItemsRoute,
  "bulk-stop": bulkStopRoute,
};
