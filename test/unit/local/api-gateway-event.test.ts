import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { afterEach, describe, expect, it } from "vitest";
import {
  apiGatewayTime,
  fromHandlerResult,
  httpApiRawPath,
  INTERNAL_SERVER_ERROR,
  isTextBody,
  type RawHttpRequest,
  toApiGatewayEvent,
} from "#local/stack/api-gateway-event.ts";
import type { RunningFrontDoor } from "#local/stack/front-door.ts";
import { physicalName } from "#local/stack/lambda/local-function.ts";
import { declaredFunction, startTestFrontDoor } from "#test/support/local-front-door.ts";

type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;
const HTTP_FUNCTION = declaredFunction("http-api");
const HTTP_BUDGET_MS = HTTP_FUNCTION.timeoutSeconds * 1000;

const request = (overrides: Partial<RawHttpRequest> = {}): RawHttpRequest => ({
  method: "POST",
  url: "/api/v1/intents/intent_67890/cancel",
  httpVersion: "1.1",
  rawHeaders: ["Host", "127.0.0.1:3000", "User-Agent", "curl/8.5.0"],
  body: Buffer.alloc(0),
  sourceIp: "127.0.0.1",
  requestId: "JKJaXmPLvHcESHA=",
  timeEpoch: Date.UTC(2026, 1, 25, 11, 30, 0, 123),
  ...overrides,
});

describe("toApiGatewayEvent", () => {
  it("builds a payload-2.0 event on the route the deployed API picks, with its path parameters", () => {
    // Act
    const event = toApiGatewayEvent(request());

    // Assess
    expect(event).toEqual({
      version: "2.0",
      routeKey: "POST /api/v1/intents/{id}/cancel",
      rawPath: "/api/v1/intents/intent_67890/cancel",
      rawQueryString: "",
      headers: { host: "127.0.0.1:3000", "user-agent": "curl/8.5.0" },
      pathParameters: { id: "intent_67890" },
      requestContext: {
        accountId: "000000000000",
        apiId: "local",
        domainName: "127.0.0.1:3000",
        domainPrefix: "127",
        http: {
          method: "POST",
          path: "/api/v1/intents/intent_67890/cancel",
          protocol: "HTTP/1.1",
          sourceIp: "127.0.0.1",
          userAgent: "curl/8.5.0",
        },
        requestId: "JKJaXmPLvHcESHA=",
        routeKey: "POST /api/v1/intents/{id}/cancel",
        stage: "$default",
        time: "25/Feb/2026:11:30:00 +0000",
        timeEpoch: Date.UTC(2026, 1, 25, 11, 30, 0, 123),
      },
      isBase64Encoded: false,
    });
  });

  it("sends what no route key matches to $default: another method, the charge route's trailing slash, an unknown path", () => {
    const charge =
      "/api/v1/bank/wallet/charge/c1a2b3c4-0000-4000-8000-000000000001/cancel/f47ac10b-58cc-4372-a567-0e02b2c3d479";
    const routeOf = (method: string, url: string) => {
      const event = toApiGatewayEvent(request({ method, url }));
      return {
        routeKey: event.routeKey,
        context: event.requestContext.routeKey,
        params: event.pathParameters,
      };
    };

    expect(routeOf("POST", charge)).toEqual({
      routeKey: "POST /api/v1/bank/wallet/charge/{charge_uuid}/cancel/{wallet_uuid}",
      context: "POST /api/v1/bank/wallet/charge/{charge_uuid}/cancel/{wallet_uuid}",
      params: {
        charge_uuid: "c1a2b3c4-0000-4000-8000-000000000001",
        wallet_uuid: "f47ac10b-58cc-4372-a567-0e02b2c3d479",
      },
    });
    expect(routeOf("POST", `${charge}/`)).toEqual({
      routeKey: "$default",
      context: "$default",
      params: undefined,
    });
    expect(routeOf("GET", "/api/v1/intents/intent_67890/cancel")).toEqual({
      routeKey: "$default",
      context: "$default",
      params: undefined,
    });
    expect(routeOf("GET", "/api/v1/nothing-here")).toEqual({
      routeKey: "$default",
      context: "$default",
      params: undefined,
    });
    expect(routeOf("GET", "/api/v1/cancellations")).toEqual({
      routeKey: "GET /api/v1/cancellations",
      context: "GET /api/v1/cancellations",
      params: undefined,
    });
  });

  it("decodes the path as HTTP APIs do, keeps the query as sent, and joins repeated parameters with commas", () => {
    // Act
    const event = toApiGatewayEvent(
      request({ method: "get", url: "/api/v1/cancellations/order/order%3A1001?limit=5&x=1&x=2&q=a%20b" }),
    );

    // Assess
    expect(event.rawPath).toBe("/api/v1/cancellations/order/order:1001");
    expect(event.rawQueryString).toBe("limit=5&x=1&x=2&q=a%20b");
    expect(event.queryStringParameters).toEqual({ limit: "5", x: "1,2", q: "a b" });
    expect(event.requestContext.http.method).toBe("GET");
    expect(event.requestContext.http.path).toBe("/api/v1/cancellations/order/order:1001");
    expect(event.routeKey).toBe("GET /api/v1/cancellations/{type}/{id}");
    expect(event.pathParameters).toEqual({ type: "order", id: "order:1001" });
  });

  // Captured on live HTTP APIs (hotsock/voker, vokerhttp/testdata/ingress-paths.json): the
  // path is decoded twice, and cut at a `?` the first decoding produced.
  it.each([
    ["/capture/plain", "/capture/plain"],
    ["/capture/space%20value", "/capture/space value"],
    ["/capture/question%3Fvalue", "/capture/question"],
    ["/capture/hash%23value", "/capture/hash#value"],
    ["/capture/slash%2Fvalue", "/capture/slash/value"],
    ["/capture/unicode-%CE%BB-%E4%B8%96%E7%95%8C", "/capture/unicode-λ-世界"],
    ["/capture/literal%252Fvalue", "/capture/literal/value"],
    ["/capture/literal%253Fvalue", "/capture/literal?value"],
    ["/capture/literal%2525value", "/capture/literal%value"],
  ])("hands %s to the handler as %s, like a live HTTP API", (sent, rawPath) => {
    expect(httpApiRawPath(sent)).toBe(rawPath);
    expect(toApiGatewayEvent(request({ url: `${sent}?marker=1` })).rawPath).toBe(rawPath);
  });

  it("passes on an escape that does not decode (API Gateway refuses those; the handler refuses the %)", () => {
    expect(httpApiRawPath("/capture/percent%25done")).toBe("/capture/percent%done");
    expect(httpApiRawPath("/capture/bad%E0%A4utf8")).toBe("/capture/bad%E0%A4utf8");
  });

  it("lower-cases header names, joins repeated headers with commas and moves cookies out", () => {
    const event = toApiGatewayEvent(
      request({
        rawHeaders: [
          "X-App-Id",
          "dev_app_local",
          "Accept",
          "application/json",
          "accept",
          "text/plain",
          "Cookie",
          "a=1; b=2",
          "cookie",
          "c=3",
        ],
      }),
    );

    expect(event.headers).toEqual({ "x-app-id": "dev_app_local", accept: "application/json,text/plain" });
    expect(event.cookies).toEqual(["a=1", "b=2", "c=3"]);
    expect(event.requestContext.http.userAgent).toBe("");
  });

  it("passes a JSON body as text", () => {
    const body = '{"reason":"客户要求"}';
    const event = toApiGatewayEvent(
      request({ rawHeaders: ["Content-Type", "application/json; charset=utf-8"], body: Buffer.from(body) }),
    );

    expect(event.body).toBe(body);
    expect(event.isBase64Encoded).toBe(false);
  });

  it("passes a binary body as base64", () => {
    const bytes = Buffer.from([0xff, 0x00, 0xfe, 0x10]);
    const event = toApiGatewayEvent(
      request({ rawHeaders: ["Content-Type", "application/octet-stream"], body: bytes }),
    );

    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? "", "base64")).toEqual(bytes);
  });

  it("reads a body without content type as text only when it is UTF-8", () => {
    expect(isTextBody(undefined, Buffer.from('{"a":1}'))).toBe(true);
    expect(isTextBody(undefined, Buffer.from([0xc3, 0x28]))).toBe(false);
    expect(isTextBody("application/problem+json", Buffer.from("{}"))).toBe(true);
    expect(isTextBody("image/png", Buffer.from("{}"))).toBe(false);
  });

  it("formats requestContext.time as API Gateway does", () => {
    expect(apiGatewayTime(Date.UTC(2020, 2, 12, 19, 3, 58))).toBe("12/Mar/2020:19:03:58 +0000");
  });
});

describe("fromHandlerResult", () => {
  it("maps a structured result, its cookies and a base64 body", () => {
    const answer = fromHandlerResult({
      statusCode: 409,
      headers: { "Content-Type": "application/json", "Retry-After": 1 as unknown as string },
      cookies: ["a=1; Path=/", "b=2"],
      body: Buffer.from('{"ok":false}').toString("base64"),
      isBase64Encoded: true,
    });

    expect(answer.statusCode).toBe(409);
    expect(answer.headers).toEqual({
      "content-type": "application/json",
      "retry-after": "1",
      "set-cookie": ["a=1; Path=/", "b=2"],
    });
    expect(answer.body.toString("utf8")).toBe('{"ok":false}');
  });

  it("reads a result without statusCode as a 200 whose JSON body is the result", () => {
    const answer = fromHandlerResult({ hello: "world" });

    expect(answer.statusCode).toBe(200);
    expect(answer.headers["content-type"]).toBe("application/json");
    expect(answer.body.toString("utf8")).toBe('{"hello":"world"}');
  });
});

describe("front door → HTTP API handler", () => {
  let door: RunningFrontDoor | undefined;
  afterEach(async () => {
    await door?.close();
    door = undefined;
  });

  const start = async (http: HttpHandler): Promise<RunningFrontDoor> => {
    door = await startTestFrontDoor({ http });
    return door;
  };

  it("hands the handler a v2 event and a context with the HTTP budget, and answers with its result", async () => {
    // Prepare
    let seen: { event: APIGatewayProxyEventV2; remaining: number; functionName: string } | undefined;
    const { url } = await start(async (event, context) => {
      seen = { event, remaining: context.getRemainingTimeInMillis(), functionName: context.functionName };
      return { statusCode: 202, headers: { "x-from": "handler" }, body: "accepted" };
    });

    // Act
    const response = await fetch(`${url}/api/v1/orders/o-1%3Aa.b_c/cancel?trace=1&q=a%2Fb`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": "k-1", Cookie: "s=1" },
      body: '{"intentId":"intent_67890"}',
    });

    // Assess
    expect(response.status).toBe(202);
    expect(response.headers.get("x-from")).toBe("handler");
    expect(response.headers.get("apigw-requestid")).toBe(seen?.event.requestContext.requestId);
    expect(await response.text()).toBe("accepted");
    expect(seen?.event.rawPath).toBe("/api/v1/orders/o-1:a.b_c/cancel");
    expect(seen?.event.requestContext.http.path).toBe("/api/v1/orders/o-1:a.b_c/cancel");
    expect(seen?.event.rawQueryString).toBe("trace=1&q=a%2Fb");
    expect(seen?.event.headers["idempotency-key"]).toBe("k-1");
    expect(seen?.event.cookies).toEqual(["s=1"]);
    expect(seen?.event.body).toBe('{"intentId":"intent_67890"}');
    expect(seen?.event.requestContext.http.sourceIp).toBe("127.0.0.1");
    expect(seen?.functionName).toBe(physicalName(HTTP_FUNCTION));
    expect(seen?.remaining).toBeGreaterThan(HTTP_BUDGET_MS - 2_000);
    expect(seen?.remaining).toBeLessThanOrEqual(HTTP_BUDGET_MS);
  });

  it("answers 500 like API Gateway when the handler throws", async () => {
    const { url } = await start(async () => {
      throw new Error("boom");
    });

    const response = await fetch(`${url}/api/v1/intents/x/cancel`, { method: "POST" });

    expect(response.status).toBe(INTERNAL_SERVER_ERROR.statusCode);
    expect(await response.json()).toEqual({ message: "Internal Server Error" });
  });
});
