/**
 * API Gateway HTTP API (payload v2) entry point for every route of docs/api.md.
 * Thin: route, hand over to the route's function, and let `errorResponse` answer for
 * anything that went wrong.
 */

import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { getContainer } from "#wiring/container.ts";
import { getLogger } from "#wiring/observability.ts";
import { BULK_MAX_BODY_BYTES } from "./http/bulk-routes.ts";
import { type ErrorScope, errorResponse } from "./http/error-response.ts";
import { HttpProblem } from "./http/http-problem.ts";
import { toHttpRequest } from "./http/http-request.ts";
import { ROUTE_HANDLERS } from "./http/route-handlers.ts";
import { dialectOf, matchRoute } from "./http/routes.ts";
import { deadlineOf, NO_EARLY_TIMEOUT } from "./lambda-deadline.ts";

const logger = getLogger();

const BULK_SUBMIT_PATH = /^\/api\/v1\/bulk-cancellations$/;

const handleRequest = async (
  event: APIGatewayProxyEventV2,
  context: Context,
): Promise<APIGatewayProxyStructuredResultV2> => {
  const scope: ErrorScope = { dialect: dialectOf(event.rawPath) };
  const given = event.headers?.["x-correlation-id"];
  // A caller's id is kept only when it is safe to echo into logs and headers.
  const correlationId = given && /^[\w.:-]{1,128}$/.test(given) ? given : event.requestContext.requestId;
  logger.setCorrelationId(correlationId);
  try {
    const container = getContainer();
    // A bulk submission carries up to 10,000 lines; every other body stays small.
    const bodyLimit = BULK_SUBMIT_PATH.test(event.rawPath)
      ? BULK_MAX_BODY_BYTES
      : container.config.maxBodyBytes;
    const request = toHttpRequest(event, bodyLimit);
    const route = matchRoute(request.method, request.path);
    scope.dialect = route.dialect;
    if (route.name === "charge-cancel") scope.chargeUuid = route.params[0];
    const call = { container, request, params: route.params, correlationId, deadline: deadlineOf(context) };
    const response = await ROUTE_HANDLERS[route.name](call);
    logger.info("request answered", { route: route.name, status: response.statusCode });
    return withCorrelation(response, correlationId);
  } catch (error) {
    const response = errorResponse(error, scope);
    const fields = {
      path: event.rawPath,
      method: event.requestContext.http.method,
      status: response.statusCode,
    };
    if (response.statusCode >= 500) logger.error("request failed", { ...fields, error: error as Error });
    else logger.info("request refused", { ...fields, reason: (error as Error).message, ...refusal(error) });
    return withCorrelation(response, correlationId);
  }
};

/** What only the log says of a refusal: which authentication check failed, or what a grant lacked, and for whom. */
const refusal = (error: unknown): Record<string, string> => {
  if (!(error instanceof HttpProblem)) return {};
  if (error.kind === "unauthenticated")
    return { authFailure: error.reason ?? "unknown", ...error.logDetails };
  return error.logDetails;
};

const withCorrelation = <T extends { headers: Record<string, string> }>(
  response: T,
  correlationId: string,
): T => {
  response.headers["x-correlation-id"] = correlationId;
  return response;
};

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>(NO_EARLY_TIMEOUT)
  .use(injectLambdaContext(logger))
  .handler(handleRequest);
