import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";

export type HttpResponse = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string>;
};

export const jsonResponse = (
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResponse => ({
  statusCode,
  headers: { "content-type": "application/json; charset=utf-8", ...headers },
  body: JSON.stringify(body),
});

/** Seed 001's error body. */
export const a55ErrorBody = (
  chargeUuid: string | null,
  code: string,
  source: string,
  description: string,
) => ({
  charge_uuid: chargeUuid,
  status: "error",
  message: [{ code, source, description }],
});

/** Seed 000's envelope. */
export const envelope = (code: number, message: string, data: unknown) => ({ code, message, data });
