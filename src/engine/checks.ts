// Argument checks shared by the engine's entry points, and which turn errors are worth retrying.
import {
  ExecutionNotFoundError,
  HistoryCorruptedError,
  NonDeterminismError,
  ValidationError,
  WorkflowNotFoundError,
} from "../errors.js";

const MAX_REASON = 4096;

export function checkReason(operation: string, id: string, reason: unknown): void {
  if (reason === undefined) return;
  if (typeof reason !== "string" || reason.length > MAX_REASON) {
    throw new ValidationError(
      `${operation}('${id}'): the reason must be a string of at most ${MAX_REASON} characters. Nothing was stored.`,
      { executionId: id, operation },
    );
  }
}

/** Errors a retry cannot fix: the code or the stored data must change first. */
export function isPermanent(error: unknown): boolean {
  return (
    error instanceof NonDeterminismError ||
    error instanceof HistoryCorruptedError ||
    error instanceof WorkflowNotFoundError ||
    error instanceof ExecutionNotFoundError ||
    error instanceof ValidationError
  );
}

