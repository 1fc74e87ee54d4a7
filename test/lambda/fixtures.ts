// Real event shapes for the Lambda tests, as AWS sends them (API Gateway HTTP API payload 2.0, an EventBridge
// scheduled event, an SQS batch), and a Lambda context whose remaining time follows the engine's virtual clock.
import type { LambdaContext } from "spindle/lambda";
import type { VirtualClock } from "spindle/testing";

let requests = 0;

/** An API Gateway HTTP API request (payload format 2.0) as Lambda receives it. */
export function httpEvent(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, stage = "$default") {
  requests += 1;
  const rawPath = stage === "$default" ? path : `/${stage}${path}`;
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath,
    rawQueryString: "",
    headers: { "content-type": "application/json", "user-agent": "curl/8.5.0", host: "abc123.execute-api.eu-west-1.amazonaws.com", ...headers },
    requestContext: {
      accountId: "123456789012",
      apiId: "abc123",
      domainName: "abc123.execute-api.eu-west-1.amazonaws.com",
      domainPrefix: "abc123",
      http: { method, path: rawPath, protocol: "HTTP/1.1", sourceIp: "203.0.113.7", userAgent: "curl/8.5.0" },
      requestId: `req-${requests}`,
      routeKey: "$default",
      stage,
      time: "21/Nov/2026:10:00:00 +0000",
      timeEpoch: 1_795_000_000_000,
    },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    isBase64Encoded: false,
  };
}

/** An EventBridge scheduled event (a `rate(1 minute)` rule's tick). */
export function scheduleEvent() {
  return {
    version: "0",
    id: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: "123456789012",
    time: "2026-11-21T10:00:00Z",
    region: "eu-west-1",
    resources: ["arn:aws:events:eu-west-1:123456789012:rule/spindle-tick"],
    detail: {},
  };
}

/** An SQS batch with one record per body. */
export function sqsEvent(bodies: string[], queue = "spindle-resume") {
  return {
    Records: bodies.map((body, i) => ({
      messageId: `msg-${i}`,
      receiptHandle: `AQEB${i}`,
      body,
      attributes: { ApproximateReceiveCount: "1", SentTimestamp: "1795000000000", SenderId: "AIDAEXAMPLE", ApproximateFirstReceiveTimestamp: "1795000000001" },
      messageAttributes: {},
      md5OfBody: "0".repeat(32),
      eventSource: "aws:sqs",
      eventSourceARN: `arn:aws:sqs:eu-west-1:123456789012:${queue}`,
      awsRegion: "eu-west-1",
    })),
  };
}

/** A Lambda context with `remainingMs` left at the engine's current virtual time. */
export function lambdaContext(clock: VirtualClock, remainingMs = 60_000): LambdaContext {
  const end = clock.now() + remainingMs;
  requests += 1;
  return { awsRequestId: `aws-req-${requests}`, getRemainingTimeInMillis: () => Math.max(0, end - clock.now()) };
}
