/**
 * Every answer the Procure-Core sandbox gives, in the seed's envelope `{code, message, data}`.
 *
 * Codes from the seed (the contract): 0 操作成功, 40003 当前状态不允许取消, 40301 无权访问该资源,
 * 40401 采购意图不存在, 50003 取消操作失败.
 *
 * Codes the seed does not publish, chosen for the sandbox (HTTP status → code):
 *
 * | HTTP | code  | when                                                                  |
 * |------|-------|-----------------------------------------------------------------------|
 * | 400  | 40001 | a bad query parameter, or a body that is sent but is not JSON         |
 * | 400  | 40002 | an intent id with characters outside `intent-id.ts`                   |
 * | 401  | 40101 | X-App-Id, X-Timestamp or X-Signature is missing                       |
 * | 401  | 40102 | X-Timestamp is not epoch ms within ±5 minutes of the sandbox clock    |
 * | 401  | 40103 | X-App-Id is not a known app                                           |
 * | 401  | 40104 | X-Signature does not match the request                                |
 * | 404  | 40400 | no such route                                                         |
 * | 405  | 40500 | the route exists, the method does not (with `Allow`)                  |
 * | 429  | 42900 | over the per-app rate limit, or an injected one (with `Retry-After`)   |
 * | 500  | 50000 | injected server error                                                 |
 *
 * A 401's `data` is `{reason, detail}`: `reason` is the machine-readable failure
 * (`missing-header`, `stale-timestamp`, `unknown-app`, `bad-signature`), `detail` says
 * which header or what was expected. Never a secret or the expected signature.
 */
import type { SignatureFailure } from "#adapters/http/request-signature.ts";
import type { SandboxResponse } from "../sandbox-server.ts";
import type { IntentJson, StoredIntent } from "./intent-store.ts";
import { toIntentJson } from "./intent-store.ts";

export const SANDBOX_CODES = {
  ok: 0,
  badRequest: 40001,
  badIntentId: 40002,
  notCancellable: 40003,
  missingHeader: 40101,
  staleTimestamp: 40102,
  unknownApp: 40103,
  badSignature: 40104,
  forbidden: 40301,
  noSuchRoute: 40400,
  notFound: 40401,
  methodNotAllowed: 40500,
  rateLimited: 42900,
  serverError: 50000,
  cancelFailed: 50003,
} as const;

/** The seed's reason for COMPLETED, and ours (from the state table's 说明) for the others. */
export const NOT_CANCELLABLE_REASONS: Readonly<Record<string, string>> = {
  DRAFT: "草稿状态不能取消,请直接删除",
  COMPLETED: "已完成的订单不能取消",
  FAILED: "已失败的订单不需要取消",
  CANCELLED: "已取消的订单不能重复取消",
};

/** The seed's 50003 reason. */
export const SHIPPED_REASON = "电商平台订单已发货,无法取消";

const envelope = (status: number, code: number, message: string, data: unknown = null): SandboxResponse => ({
  status,
  body: { code, message, data },
});

export const ok = (data: unknown): SandboxResponse => envelope(200, SANDBOX_CODES.ok, "操作成功", data);

/** The cancel's `data`: the seed's four fields (no createdAt). */
export const cancelData = (intent: StoredIntent): Omit<IntentJson, "createdAt"> => {
  const { createdAt: _createdAt, ...data } = toIntentJson(intent);
  return data;
};

export const notCancellable = (intent: StoredIntent): SandboxResponse =>
  envelope(400, SANDBOX_CODES.notCancellable, "当前状态不允许取消", {
    currentStatus: intent.status,
    reason: NOT_CANCELLABLE_REASONS[intent.status] ?? `${intent.status} 状态不能取消`,
  });

export const cancelFailed = (): SandboxResponse =>
  envelope(500, SANDBOX_CODES.cancelFailed, "取消操作失败", { reason: SHIPPED_REASON });

export const notFound = (): SandboxResponse => envelope(404, SANDBOX_CODES.notFound, "采购意图不存在");

export const forbidden = (): SandboxResponse => envelope(403, SANDBOX_CODES.forbidden, "无权访问该资源");

export const badRequest = (detail: string): SandboxResponse =>
  envelope(400, SANDBOX_CODES.badRequest, "请求参数错误", { detail });

export const badIntentId = (): SandboxResponse =>
  envelope(400, SANDBOX_CODES.badIntentId, "采购意图 ID 格式不正确", {
    detail: "id must be 1-128 characters of A-Z, a-z, 0-9, '_' or '-'",
  });

const AUTH_FAILURES: Record<SignatureFailure, { code: number; message: string }> = {
  "missing-header": { code: SANDBOX_CODES.missingHeader, message: "缺少签名请求头" },
  "stale-timestamp": { code: SANDBOX_CODES.staleTimestamp, message: "请求时间戳无效或已过期" },
  "unknown-app": { code: SANDBOX_CODES.unknownApp, message: "未知的应用 ID" },
  "bad-signature": { code: SANDBOX_CODES.badSignature, message: "签名验证失败" },
};

export const unauthorized = (failure: SignatureFailure, detail: string): SandboxResponse => {
  const { code, message } = AUTH_FAILURES[failure];
  return envelope(401, code, message, { reason: failure, detail });
};

export const noSuchRoute = (): SandboxResponse => envelope(404, SANDBOX_CODES.noSuchRoute, "接口不存在");

export const methodNotAllowed = (allow: string): SandboxResponse => ({
  ...envelope(405, SANDBOX_CODES.methodNotAllowed, "请求方法不允许", { allow }),
  headers: { allow },
});

/** Too many requests: the per-app limit, or an injected 429. */
export const rateLimited = (retryAfterSeconds: number): SandboxResponse => ({
  ...envelope(429, SANDBOX_CODES.rateLimited, "请求过于频繁,请稍后重试"),
  headers: { "retry-after": String(retryAfterSeconds) },
});

/** The answers of injected faults (see `fault-injector.ts`). */
export const faultResponse = (kind: "error" | "rate-limit", retryAfterSeconds: number): SandboxResponse =>
  kind === "rate-limit"
    ? rateLimited(retryAfterSeconds)
    : envelope(500, SANDBOX_CODES.serverError, "服务器内部错误");
