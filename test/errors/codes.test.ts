// Compile-time contract, checked by `npm run typecheck` (tsc) and run by vitest: `code` is a union of literals that a
// switch covers exhaustively, and each class's `code` is its own literal.
import { describe, expect, expectTypeOf, it } from "vitest";
import type { SpindleErrorCode } from "spindle";
import {
  CallbackNotFoundError,
  CancelledError,
  ConcurrencyError,
  DagFailedError,
  ExecutionClosedError,
  ExecutionNotFoundError,
  HistoryCorruptedError,
  IdempotencyConflictError,
  NonDeterminismError,
  PayloadTooLargeError,
  RedriveRefusedError,
  SerializationError,
  SpindleError,
  StepFailedError,
  StepTimeoutError,
  StoreUnavailableError,
  TerminalError,
  TimeoutError,
  ValidationError,
  WorkflowNotFoundError,
} from "spindle";
import { TestStalledError } from "spindle/testing";

/** What an operator does about each code: a switch that stops compiling when a code is added and not handled here. */
function advice(error: SpindleError): string {
  switch (error.code) {
    case "VALIDATION":
    case "SERIALIZATION":
    case "PAYLOAD_TOO_LARGE":
    case "IDEMPOTENCY_CONFLICT":
      return "fix the request";
    case "EXECUTION_NOT_FOUND":
    case "EXECUTION_CLOSED":
    case "CALLBACK_NOT_FOUND":
    case "WORKFLOW_NOT_FOUND":
      return "check the id";
    case "REDRIVE_REFUSED":
      return "redrive only a stuck or failed execution";
    case "CONCURRENCY":
    case "STORE_UNAVAILABLE":
      return "try again";
    case "NON_DETERMINISM":
    case "HISTORY_CORRUPTED":
      return "look at the history";
    case "STEP_FAILED":
    case "DAG_FAILED":
    case "STEP_TIMEOUT":
    case "TIMEOUT":
    case "CANCELLED":
    case "TERMINAL":
      return "the workflow decides";
    case "TEST_STALLED":
      return "send what the test waits for";
    case "SPINDLE":
      return "read the message";
    default:
      return error.code satisfies never;
  }
}

describe("error codes", () => {
  it("are a union a switch covers exhaustively, each class's code its own literal", () => {
    expectTypeOf<TerminalError["code"]>().toEqualTypeOf<"TERMINAL">();
    expectTypeOf<ValidationError["code"]>().toEqualTypeOf<"VALIDATION">();
    expectTypeOf<TestStalledError["code"]>().toEqualTypeOf<"TEST_STALLED">();
    expectTypeOf(new CancelledError("x").code).toEqualTypeOf<"CANCELLED">();
    expectTypeOf<SpindleError["code"]>().toEqualTypeOf<SpindleErrorCode>();
    const error: SpindleError = new CancelledError("stop");
    // @ts-expect-error not a code: the comparison has no overlap with the union
    expect(error.code === "CANCELED").toBe(false);

    const errors: SpindleError[] = [
      new SpindleError("x"),
      new ValidationError("x"),
      new NonDeterminismError("x"),
      new ConcurrencyError("x"),
      new StepFailedError("x", { stepName: "s", attempts: 1, cause: new Error("y") }),
      new StepTimeoutError("x"),
      new TimeoutError("x"),
      new CancelledError("x"),
      new TerminalError("x"),
      new PayloadTooLargeError("x", { size: 2, limit: 1 }),
      new SerializationError("x"),
      new HistoryCorruptedError("x"),
      new ExecutionNotFoundError("x"),
      new ExecutionClosedError("x"),
      new CallbackNotFoundError("x"),
      new WorkflowNotFoundError("x"),
      new IdempotencyConflictError("x"),
      new StoreUnavailableError("x"),
      new RedriveRefusedError("x", { status: "completed" }),
      new DagFailedError("x", { failures: [{ task: "t", error: "StepFailedError", message: "y" }], results: { t: "failed" } }),
      new TestStalledError("x"),
    ];
    expect(new Set(errors.map((e) => e.code)).size).toBe(errors.length);
    for (const e of errors) expect(advice(e), e.code).not.toBeUndefined();
  });
});
