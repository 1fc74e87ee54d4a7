// spindle/lambda: run Spindle in AWS Lambda. One handler takes direct invocations, API Gateway HTTP API requests,
// EventBridge schedule ticks and SQS batches, and keeps every turn inside the invocation's remaining time.
export { createLambdaHandler } from "./handler.js";
export type { DirectResponse, LambdaContext, LambdaHandlerOptions, SpindleLambdaHandler } from "./handler.js";
export type { ActionResult } from "./actions.js";
export { directInvocationSchema, httpRequestSchema, scheduleEventSchema, sqsBodySchema, sqsEventSchema } from "./events.js";
export type { DirectInvocation, HttpRequest, HttpResponse, SqsBatchResponse, SqsEvent } from "./events.js";
export type { ErrorBody } from "./outcomes.js";
