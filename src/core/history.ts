// The event history as zod schemas: a discriminated union on `type`. Events are past tense. Every event carries its
// schema version `v`, its sequence number `seq` (1, 2, 3, ... per run), the operation id `opId` it belongs to, the
// operation `kind` and `name`, and the time `at` it was recorded. Values are stored as JSON text (see codec.ts).
// The engine checks stored histories with history-check.ts (the same shapes, no zod), so a bundle that does not use
// these schemas leaves them, and zod, out; the event types below are inferred from them.
import { z } from "zod";
import type { ErrorRecord } from "./error-record.js";

export { checkHistory, EXECUTION_OP, HISTORY_VERSION, isPlainStepCompleted, TERMINAL_EVENTS } from "./history-check.js";

const errorRecordSchema: z.ZodType<ErrorRecord> = z.object({
  name: z.string(),
  message: z.string(),
  code: z.string().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
  stack: z.string().optional(),
  get cause() {
    return errorRecordSchema.optional();
  },
});

const base = {
  v: z.number().int().positive(),
  seq: z.number().int().positive(),
  opId: z.string(),
  kind: z.string(),
  name: z.string(),
  at: z.number(),
};

const event = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.object({ type: z.literal(type), ...base, ...shape });

/**
 * Zod schemas of every history event, keyed by type.
 * @example
 * ```ts
 * const completed = historyEventSchemas.StepCompleted.parse(raw);
 * ```
 */
export const historyEventSchemas = {
  ExecutionStarted: event("ExecutionStarted", {
    executionId: z.string(),
    runId: z.string(),
    input: z.string().optional(),
    /** The W3C trace context the execution joined (the caller's span at `start`, the parent's child operation). */
    traceparent: z.string().optional(),
  }),
  StepStarted: event("StepStarted", { attempt: z.number().int().positive() }),
  StepCompleted: event("StepCompleted", { attempt: z.number().int().positive(), result: z.string().optional() }),
  StepFailed: event("StepFailed", {
    attempt: z.number().int().positive(),
    error: errorRecordSchema,
    /** When the next attempt may run; absent when the step failed for good. */
    retryAt: z.number().optional(),
  }),
  TimerScheduled: event("TimerScheduled", { fireAt: z.number() }),
  TimerFired: event("TimerFired", {}),
  /** A wait (waitForEvent) began and found nothing yet; `deadline` is when it times out, if it does. */
  WaitStarted: event("WaitStarted", { deadline: z.number().optional() }),
  /** `link`: the sender's W3C trace context, when `sendEvent` was called inside a trace. */
  EventReceived: event("EventReceived", { inboxId: z.string(), payload: z.string().optional(), link: z.string().optional() }),
  ValueRecorded: event("ValueRecorded", { value: z.string() }),
  /** A concurrency group (all, race, allSettled, map, branch, dag) began; its children run in scopes `<opId>.<i>`. */
  GroupStarted: event("GroupStarted", {
    size: z.number().int().nonnegative(),
    /** A DAG's tasks and edges: JSON `[[task, [dependency, ...]], ...]` in declaration order. */
    shape: z.string().optional(),
  }),
  /** A group settled early on child `index` (the race winner, or the first failure of a fail-fast group). */
  GroupSettled: event("GroupSettled", { index: z.number().int().nonnegative() }),
  /** A child execution was started (it exists in the store under `childId`). */
  ChildStarted: event("ChildStarted", { childId: z.string(), detached: z.boolean().optional() }),
  /** A child execution ended. */
  ChildCompleted: event("ChildCompleted", {
    inboxId: z.string(),
    status: z.enum(["completed", "failed", "cancelled", "terminated"]),
    result: z.string().optional(),
    error: errorRecordSchema.optional(),
  }),
  /** A callback token was created; `deadline` is when the callback times out, if it does. */
  CallbackCreated: event("CallbackCreated", { token: z.string(), deadline: z.number().optional() }),
  /** A callback was completed (`value`) or failed (`error`) through its token. */
  CallbackCompleted: event("CallbackCompleted", {
    inboxId: z.string(),
    value: z.string().optional(),
    error: errorRecordSchema.optional(),
  }),
  /** patched(changeId) was first reached on code that has the change; `name` is the change id. */
  PatchMarker: event("PatchMarker", {}),
  StatusSet: event("StatusSet", { value: z.string().optional() }),
  CancelRequested: event("CancelRequested", { inboxId: z.string(), reason: z.string().optional() }),
  ExecutionCompleted: event("ExecutionCompleted", { result: z.string().optional() }),
  ExecutionFailed: event("ExecutionFailed", { error: errorRecordSchema }),
  /** The run ended with continueAsNew; the next run (`nextRunId`) starts with `input`. */
  ContinuedAsNew: event("ContinuedAsNew", { nextRunId: z.string(), input: z.string().optional() }),
  ExecutionCancelled: event("ExecutionCancelled", {
    reason: z.string().optional(),
    /** True when ended by `terminate` (no workflow code ran). */
    terminated: z.boolean().optional(),
  }),
  /**
   * `engine.redrive` reopened a failed run: the events from `fromSeq` up to this one (the failure and the failed
   * ending) are superseded, and so are all events of operation `rerun` (the step that failed), which runs again with
   * a fresh attempt budget. A list (a failed DAG's tasks) supersedes each listed operation and everything in its
   * scope (`<id>.…`). See redrive.ts.
   */
  ExecutionRedriven: event("ExecutionRedriven", {
    fromSeq: z.number().int().positive(),
    rerun: z.union([z.string(), z.array(z.string())]).optional(),
  }),
} as const;

/**
 * Zod schema of one history event (the discriminated union on `type`).
 * @example
 * ```ts
 * const event = historyEventSchema.parse(JSON.parse(line));
 * ```
 */
export const historyEventSchema = z.discriminatedUnion("type", [
  historyEventSchemas.ExecutionStarted,
  historyEventSchemas.StepStarted,
  historyEventSchemas.StepCompleted,
  historyEventSchemas.StepFailed,
  historyEventSchemas.TimerScheduled,
  historyEventSchemas.TimerFired,
  historyEventSchemas.WaitStarted,
  historyEventSchemas.EventReceived,
  historyEventSchemas.ValueRecorded,
  historyEventSchemas.GroupStarted,
  historyEventSchemas.GroupSettled,
  historyEventSchemas.ChildStarted,
  historyEventSchemas.ChildCompleted,
  historyEventSchemas.CallbackCreated,
  historyEventSchemas.CallbackCompleted,
  historyEventSchemas.PatchMarker,
  historyEventSchemas.ContinuedAsNew,
  historyEventSchemas.StatusSet,
  historyEventSchemas.CancelRequested,
  historyEventSchemas.ExecutionCompleted,
  historyEventSchemas.ExecutionFailed,
  historyEventSchemas.ExecutionCancelled,
  historyEventSchemas.ExecutionRedriven,
]);

/** One recorded event. */
export type HistoryEvent = z.infer<typeof historyEventSchema>;

/** The `type` of a history event. */
export type HistoryEventType = HistoryEvent["type"];

/** The event of a given type. */
export type EventOf<T extends HistoryEventType> = Extract<HistoryEvent, { type: T }>;

/** An event before the store gives it a place: everything but `v` and `seq`. */
export type NewEvent = HistoryEvent extends infer E ? (E extends HistoryEvent ? Omit<E, "v" | "seq"> : never) : never;
