// The events AWS would hand the function, built the way AWS builds them, for the local run and the adapter's tests:
// API Gateway HTTP API requests (payload format 2.0), EventBridge schedule ticks, SQS batches, and a Lambda context whose
// remaining time follows the engine's clock (a virtual one locally, so a 60 s invocation takes no real time).
import type { LambdaContext } from "../../adapters/lambda/index.js";
import type { Clock } from "../../src/index.js";

/** The API's host, as API Gateway puts it in `requestContext.domainName`. */
export const API_HOST = "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com";

let sequence = 0;

/** An HTTP API request (payload format 2.0) for `method path` with a JSON body; a named stage prefixes the path. */
export function httpRequest(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  at = Date.now(),
  stage = "$default",
) {
  sequence += 1;
  const rawPath = stage === "$default" ? path : `/${stage}${path}`;
  return {
    version: "2.0",
    routeKey: `${method} ${path.replace(/\/executions\/[^/]+/, "/executions/{id}").replace(/\/callbacks\/[^/]+/, "/callbacks/{token}")}`,
    rawPath,
    rawQueryString: "",
    headers: { "content-type": "application/json", host: API_HOST, "user-agent": "access-desk/1.0", ...headers },
    requestContext: {
      accountId: "123456789012",
      apiId: "a1b2c3d4e5",
      // With AWS_IAM auth API Gateway adds the caller's identity; the handler does not read it.
      authorizer: { iam: { accountId: "123456789012", userArn: "arn:aws:sts::123456789012:assumed-role/desk-frontend/session" } },
      domainName: API_HOST,
      domainPrefix: "a1b2c3d4e5",
      http: { method, path: rawPath, protocol: "HTTP/1.1", sourceIp: "198.51.100.20", userAgent: "access-desk/1.0" },
      requestId: `api-${sequence}`,
      routeKey: "$default",
      stage,
      time: new Date(at).toUTCString(),
      timeEpoch: at,
    },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    isBase64Encoded: false,
  };
}

/** The tick of an EventBridge rule with `rate(1 minute)`. */
export function scheduleTick(at: number) {
  sequence += 1;
  return {
    version: "0",
    id: `tick-${sequence}`,
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: "123456789012",
    time: new Date(at).toISOString().replace(/\.\d{3}Z$/, "Z"),
    region: "eu-west-1",
    resources: ["arn:aws:events:eu-west-1:123456789012:rule/access-desk-WakeUpSchedule"],
    detail: {},
  };
}

/**
 * An SQS batch, one record per message, from `queue` (a name ending in `.fifo` is a FIFO queue). A message is its
 * body, with the id `msg-<index>`, or `{ body, messageId }`. The id is what makes a message the same message: two
 * records with one id, in one batch or in two, are one message delivered twice (as SQS may do), and its writes happen
 * once. So the bodies at one index of two batches are one message unless you name their ids.
 */
export function sqsBatch(messages: readonly (string | { body: string; messageId: string })[], at: number, queue = "access-desk-ResumeQueue") {
  return {
    Records: messages.map((message, i) => ({
      messageId: typeof message === "string" ? `msg-${i}` : message.messageId,
      receiptHandle: `AQEB-${sequence}-${i}`,
      body: typeof message === "string" ? message : message.body,
      attributes: {
        ApproximateReceiveCount: "1",
        SentTimestamp: String(at),
        SenderId: "AROAEXAMPLE:desk-frontend",
        ApproximateFirstReceiveTimestamp: String(at),
      },
      messageAttributes: {},
      md5OfBody: "0".repeat(32),
      eventSource: "aws:sqs",
      eventSourceARN: `arn:aws:sqs:eu-west-1:123456789012:${queue}`,
      awsRegion: "eu-west-1",
    })),
  };
}

/** A Lambda context for an invocation of `timeoutMs` starting now on `clock`. */
export function invocationContext(clock: Clock, timeoutMs = 60_000): LambdaContext {
  sequence += 1;
  const end = clock.now() + timeoutMs;
  return { awsRequestId: `lambda-${sequence}`, getRemainingTimeInMillis: () => Math.max(0, end - clock.now()) };
}

/**
 * An event an EventBridge rule delivers (here: an order service's "Order Placed" on a custom bus), as AWS documents
 * it; `id` is unique per event and repeated when EventBridge retries the delivery.
 */
export function eventBridgeEvent(detailType: string, source: string, detail: unknown, at: number, id = `eb-${++sequence}`) {
  return {
    version: "0",
    id,
    "detail-type": detailType,
    source,
    account: "123456789012",
    time: new Date(at).toISOString().replace(/\.\d{3}Z$/, "Z"),
    region: "eu-west-1",
    resources: [],
    detail,
  };
}

/** An S3 event notification for `ObjectCreated:Put` of `key` in `bucket` (AWS's documented shape, event version 2.1). */
export function s3PutNotification(bucket: string, key: string, at: number, sequencer = "0055AED6DCD90281E5") {
  return {
    Records: [
      {
        eventVersion: "2.1",
        eventSource: "aws:s3",
        awsRegion: "eu-west-1",
        eventTime: new Date(at).toISOString(),
        eventName: "ObjectCreated:Put",
        userIdentity: { principalId: "AWS:AIDAINPONIXQXHT3IKHL2" },
        requestParameters: { sourceIPAddress: "198.51.100.20" },
        responseElements: { "x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD" },
        s3: {
          s3SchemaVersion: "1.0",
          configurationId: "intake-uploads",
          bucket: { name: bucket, ownerIdentity: { principalId: "A3NL1KOZZKExample" }, arn: `arn:aws:s3:::${bucket}` },
          object: { key, size: 1024, eTag: "d41d8cd98f00b204e9800998ecf8427e", sequencer },
        },
      },
    ],
  };
}

/**
 * A DynamoDB stream batch (NEW_IMAGE), one record per change, in AWS's documented shape: images are attribute maps
 * (`{ S: "..." }`), each record has a SequenceNumber that a partial batch failure names.
 */
export function dynamodbStreamBatch(
  changes: readonly { eventName: "INSERT" | "MODIFY" | "REMOVE"; keys: Record<string, unknown>; image?: Record<string, unknown>; sequence: string }[],
  at: number,
  table = "orders",
) {
  return {
    Records: changes.map((change) => ({
      eventID: `ddb-${change.sequence}`,
      eventName: change.eventName,
      eventVersion: "1.1",
      eventSource: "aws:dynamodb",
      awsRegion: "eu-west-1",
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(at / 1000),
        Keys: change.keys,
        ...(change.image === undefined ? {} : { NewImage: change.image }),
        SequenceNumber: change.sequence,
        SizeBytes: 59,
        StreamViewType: "NEW_IMAGE",
      },
      eventSourceARN: `arn:aws:dynamodb:eu-west-1:123456789012:table/${table}/stream/2026-03-02T09:00:00.000`,
    })),
  };
}
