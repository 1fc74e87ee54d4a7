// The Lambda entry point of the access desk (template.yaml: Handler handler.handler, bundled by esbuild). Everything
// is built once per container, at module scope: the clients keep their connections, and the engine keeps suspended
// workflows warm, so the next invocation for the same request continues without replaying its history. Telemetry is
// Powertools for AWS Lambda's: its Logger (JSON lines with cold start, function and trace ids), its Metrics (EMF,
// namespace Spindle) and its Tracer (X-Ray, with the DynamoDB client's calls as subsegments).
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { Tracer } from "@aws-lambda-powertools/tracer";
import type { Review } from "../security-approval/security-approval.workflow.js";
import { AccessServices } from "../security-approval/security-approval.workflow.js";
import { createAccessDesk, wakeupMessage } from "./app.js";

const tableName = process.env.TABLE_NAME;
if (!tableName) throw new Error("TABLE_NAME is not set: the function needs the name of its Spindle table (template.yaml sets it).");
const queueUrl = process.env.RESUME_QUEUE_URL;
const retentionDays = process.env.RETENTION_DAYS === undefined || process.env.RETENTION_DAYS === "" ? undefined : Number(process.env.RETENTION_DAYS);
if (retentionDays !== undefined && !(Number.isFinite(retentionDays) && retentionDays > 0)) {
  throw new Error(`RETENTION_DAYS must be a number of days above 0, got '${process.env.RETENTION_DAYS}'.`);
}

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? "access-desk";
const logger = new Logger({ serviceName });
const metrics = new Metrics({ namespace: "Spindle", serviceName });
const tracer = new Tracer({ serviceName });

/**
 * The reviewers' queues. The in-memory services stand in for real ones, and a container's memory is gone at the
 * next cold start, so each review request is also written to the log as a JSON line carrying the route that answers
 * it: the e-mail or chat message a real desk would send instead.
 */
class NotifyingAccessServices extends AccessServices {
  override requestReview(review: Review): void {
    super.requestReview(review);
    logger.info("review requested", {
      queue: review.queue,
      requestId: review.requestId,
      riskScore: review.riskScore,
      answer: `POST /callbacks/${encodeURIComponent(review.token)}/complete {"approved":true|false,"reviewer":"..."}`,
    });
  }
}

// A request timeout turns a lost response into one of the store's retries instead of a wait until Lambda's timeout.
const client = tracer.captureAWSv3Client(new DynamoDBClient({ requestHandler: { requestTimeout: 5_000 } }));
const sqs = queueUrl ? tracer.captureAWSv3Client(new SQSClient({ requestHandler: { requestTimeout: 2_000 } })) : undefined;

export const handler = createAccessDesk({
  client,
  tableName,
  services: new NotifyingAccessServices(() => new Date()),
  // The workflows' ctx.log lines go to the same logger (its extra argument is never undefined).
  logger: {
    debug: (message, fields) => logger.debug(message, fields ?? {}),
    info: (message, fields) => logger.info(message, fields ?? {}),
    warn: (message, fields) => logger.warn(message, fields ?? {}),
    error: (message, fields) => logger.error(message, fields ?? {}),
  },
  handlerLogger: logger,
  metrics,
  tracer,
  // A timer due sooner than the next tick: the resume queue delivers { executionId } when it is due.
  ...(sqs && queueUrl ? { scheduleWakeup: (wakeup) => sqs.send(new SendMessageCommand(wakeupMessage(queueUrl, wakeup))) } : {}),
  ...(retentionDays === undefined ? {} : { retentionMs: retentionDays * 86_400_000 }),
}).handler;
