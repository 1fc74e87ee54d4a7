// spindle/lambda: run Spindle in AWS Lambda. One handler takes direct invocations, API Gateway HTTP API requests,
// EventBridge schedule ticks, SQS batches and (with `route`) any other event, keeps every turn inside the invocation's
// remaining time, schedules near wake-ups, and logs and counts its turns in the style of Powertools for AWS Lambda.
export { createLambdaHandler } from "./handler.js";
export type { DirectResponse, LambdaContext, RoutedResponse, SpindleLambdaHandler } from "./handler.js";
export type { LambdaHandlerOptions, Wakeup } from "./options.js";
export { eventKey, rule } from "./route.js";
export type { EventSchema, Route, RouteAction, RouteResult, RouteRule } from "./route.js";
export { emfMetrics } from "./emf.js";
export type { EmfMetricsOptions } from "./emf.js";
// The metric names live in spindle (the CLI reports under them too); re-exported here unchanged.
export { METRIC } from "spindle";
export type { LambdaLogger, LambdaMetrics, LambdaTracer, LogLevel, LogLine } from "./telemetry.js";
export type { ActionResult } from "./actions.js";
// The public zod schemas: a bundle carries them (and zod) only when it uses one; the handler checks by hand.
export { directInvocationSchema, httpRequestSchema, scheduleEventSchema, sqsBodySchema, sqsEventSchema } from "./schemas.js";
export type { DirectInvocation, HttpRequest, SqsEvent } from "./schemas.js";
export type { HttpResponse, SqsBatchResponse } from "./events.js";
export type { ErrorBody } from "./outcomes.js";
