/**
 * The one place where errors become HTTP responses, in the dialect of the route they
 * happened on. Expected refusals are `HttpProblem`s; a store outage fails closed with
 * 503; anything else is a 500 that says nothing about internals.
 */

import { InvalidLinesError } from "#core/bulk-manifest.ts";
import {
  ConfigurationError,
  ReportDeadlineError,
  StoreRefusedError,
  StoreUnavailableError,
  ValidationError,
} from "#core/errors.ts";
import { HttpProblem, type ProblemKind, STATUS_OF } from "./http-problem.ts";
import { a55ErrorBody, envelope, type HttpResponse, jsonResponse } from "./json-response.ts";
import type { Dialect } from "./routes.ts";

type Kind = ProblemKind | "unavailable" | "internal";

const PROCURE_CORE: Record<Kind, [number, string]> = {
  "route-not-found": [40400, "接口不存在"],
  "not-found": [40402, "取消记录不存在"],
  "method-not-allowed": [40500, "请求方法不允许"],
  "payload-too-large": [41300, "请求体过大"],
  unauthenticated: [40100, "认证失败"],
  forbidden: [40301, "无权访问该资源"],
  validation: [40001, "请求参数错误"],
  "idempotency-in-progress": [40901, "请求正在处理中,请稍后重试"],
  "idempotency-mismatch": [40902, "幂等键已用于其他请求"],
  conflict: [40903, "资源状态冲突"],
  unavailable: [50300, "服务暂时不可用,请稍后重试"],
  internal: [50000, "服务器内部错误"],
};

const A55: Record<Kind, string> = {
  "route-not-found": "NOT_FOUND",
  "not-found": "NOT_FOUND",
  "method-not-allowed": "METHOD_NOT_ALLOWED",
  "payload-too-large": "PAYLOAD_TOO_LARGE",
  unauthenticated: "UNAUTHORIZED",
  forbidden: "FORBIDDEN",
  validation: "VALIDATION_ERROR",
  "idempotency-in-progress": "IDEMPOTENCY_REQUEST_IN_PROGRESS",
  "idempotency-mismatch": "IDEMPOTENCY_KEY_REUSED",
  conflict: "CONFLICT",
  unavailable: "SERVICE_UNAVAILABLE",
  internal: "INTERNAL_ERROR",
};

export interface ErrorScope {
  dialect: Dialect;
  /** The charge UUID of the charge route, echoed in A55's error body. */
  chargeUuid?: string;
}

/**
 * The one answer to every authentication failure, whichever check failed: a caller who is
 * not authenticated learns nothing (not whether an app id exists, nor which header was
 * wrong). The precise reason is logged with the correlation id the answer carries.
 */
export const UNAUTHENTICATED_MESSAGE =
  "Authentication failed; the reason is logged under this answer's x-correlation-id";

export const errorResponse = (error: unknown, scope: ErrorScope): HttpResponse => {
  const problem = asProblem(error);
  const { kind, headers } = problem;
  const unauthenticated = kind === "unauthenticated";
  const message = unauthenticated ? UNAUTHENTICATED_MESSAGE : problem.message;
  const field = problem instanceof HttpProblem && !unauthenticated ? problem.field : undefined;
  const reason = problem instanceof HttpProblem && !unauthenticated ? problem.reason : undefined;
  const issues = problem instanceof HttpProblem && !unauthenticated ? problem.issues : undefined;
  let status = kind === "unavailable" ? 503 : kind === "internal" ? 500 : STATUS_OF[kind];
  if (kind === "validation" && scope.dialect === "a55") status = 422;

  switch (scope.dialect) {
    case "procure-core": {
      const [code, text] = PROCURE_CORE[kind];
      const data = field ? { field, message } : reason ? { reason, message } : { message };
      return jsonResponse(status, envelope(code, text, data), headers);
    }
    case "a55":
      return jsonResponse(
        status,
        a55ErrorBody(
          scope.chargeUuid ?? null,
          A55[kind],
          unauthenticated ? "authorization" : (field ?? reason ?? "request"),
          message,
        ),
        headers,
      );
    case "service":
      return jsonResponse(
        status,
        {
          error: {
            code: kind,
            message,
            ...(field && { field }),
            ...(reason && { reason }),
            ...(issues && { issues }),
          },
        },
        headers,
      );
  }
};

interface Problem {
  kind: Kind;
  message: string;
  headers: Record<string, string>;
}

const asProblem = (error: unknown): HttpProblem | Problem => {
  if (error instanceof HttpProblem) return error;
  if (error instanceof InvalidLinesError) {
    return new HttpProblem("validation", error.message, {
      field: error.field,
      issues:
        error.count > error.issues.length
          ? [...error.issues, { more: error.count - error.issues.length }]
          : error.issues,
    });
  }
  if (error instanceof ValidationError)
    return new HttpProblem("validation", error.message, { field: error.field });
  // Input that passed the routes' checks but that DynamoDB refused: a gap in those checks (a
  // bug), not an outage; a 503 would send the caller back, and on-call to DynamoDB.
  if (error instanceof StoreRefusedError) return { kind: "internal", message: "Internal error", headers: {} };
  if (error instanceof StoreUnavailableError) {
    return {
      kind: "unavailable",
      message: "A store the service needs is unavailable; retry later",
      headers: { "retry-after": "1" },
    };
  }
  if (error instanceof ReportDeadlineError) {
    // Retrying the same request would read as far and stop again: no Retry-After.
    return { kind: "unavailable", message: error.message, headers: {} };
  }
  if (error instanceof ConfigurationError) {
    return { kind: "internal", message: "The service is misconfigured", headers: {} };
  }
  return { kind: "internal", message: "Internal error", headers: {} };
};
