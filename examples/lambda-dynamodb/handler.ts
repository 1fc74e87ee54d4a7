// The Lambda entry point of the access desk (template.yaml: Handler handler.handler, bundled by esbuild). Everything
// is built once per container, at module scope: the client keeps its connections, and the engine keeps suspended
// workflows warm, so the next invocation for the same request continues without replaying its history.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Review } from "../security-approval/security-approval.workflow.js";
import { AccessServices } from "../security-approval/security-approval.workflow.js";
import { createAccessDesk } from "./app.js";

const tableName = process.env.TABLE_NAME;
if (!tableName) throw new Error("TABLE_NAME is not set: the function needs the name of its Spindle table (template.yaml sets it).");

/**
 * The reviewers' queues. The in-memory services stand in for real ones, and a container's memory is gone at the
 * next cold start, so each review request is also written to the log as a JSON line carrying the route that answers
 * it: the e-mail or chat message a real desk would send instead.
 */
class NotifyingAccessServices extends AccessServices {
  override requestReview(review: Review): void {
    super.requestReview(review);
    console.log(
      JSON.stringify({
        level: "info",
        msg: "review requested",
        queue: review.queue,
        requestId: review.requestId,
        riskScore: review.riskScore,
        answer: `POST /callbacks/${encodeURIComponent(review.token)}/complete {"approved":true|false,"reviewer":"..."}`,
      }),
    );
  }
}

// A request timeout turns a lost response into one of the store's retries instead of a wait until Lambda's timeout.
const client = new DynamoDBClient({ requestHandler: { requestTimeout: 5_000 } });

export const handler = createAccessDesk({ client, tableName, services: new NotifyingAccessServices(() => new Date()) }).handler;
