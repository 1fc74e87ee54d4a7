// Entry point `spindle/otel`: OpenTelemetry tracing for the engine. Importing it needs @opentelemetry/api (an optional
// peer dependency); nothing else in Spindle imports it.
export { otelTracing, spindleIdGenerator } from "./otel.js";
export type { OtelTracingOptions, SpindleIdGenerator } from "./otel.js";
export type { SpindleSpan, Tracing } from "./span.js";
