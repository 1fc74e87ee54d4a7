// How errors leave the function: each Spindle error has an HTTP-style status (4xx: the request is wrong and a retry
// cannot help; 5xx: try again), and a plain `{ name, code, message }` body that is safe to return to a caller. Errors
// that are not Spindle's own (a bug, a library's) are logged whole and answered with a message that leaks nothing.
import {
  CallbackNotFoundError,
  ConcurrencyError,
  ExecutionClosedError,
  ExecutionNotFoundError,
  IdempotencyConflictError,
  PayloadTooLargeError,
  RedriveRefusedError,
  SerializationError,
  SpindleError,
  StoreUnavailableError,
  ValidationError,
  WorkflowNotFoundError,
} from "spindle";

/** An error as a caller sees it. */
export interface ErrorBody {
  name: string;
  code: string;
  message: string;
  executionId?: string;
  operation?: string;
}

/** A request the function refuses before reaching the engine: malformed JSON, an unknown route or action. */
export class BadRequest extends ValidationError {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
    // A literal: a minified bundle renames the class, and this name is what an answer's body carries.
    this.name = "BadRequest";
  }
}

const STATUSES: [new (...args: never[]) => Error, number][] = [
  [BadRequest, 400],
  [ValidationError, 400],
  [SerializationError, 400],
  [PayloadTooLargeError, 413],
  [ExecutionNotFoundError, 404],
  [WorkflowNotFoundError, 404],
  [CallbackNotFoundError, 404],
  [ExecutionClosedError, 409],
  [IdempotencyConflictError, 409],
  [RedriveRefusedError, 409],
  // A lost race: trying again continues from the stored state, so it is answered as "try again".
  [ConcurrencyError, 503],
  [StoreUnavailableError, 503],
];

/** The HTTP-style status of an error: 4xx for a request a retry cannot fix, 5xx otherwise. */
export function statusOf(error: unknown): number {
  if (error instanceof BadRequest) return error.status;
  for (const [type, status] of STATUSES) if (error instanceof type) return status;
  return 500;
}

/** What a caller is told about an error. */
export function errorBody(error: unknown, requestId: string | undefined): ErrorBody {
  if (error instanceof SpindleError) {
    const body: ErrorBody = { name: error.name, code: error.code, message: error.message };
    if (error.executionId !== undefined) body.executionId = error.executionId;
    if (error.operation !== undefined) body.operation = error.operation;
    return body;
  }
  return {
    name: "InternalError",
    code: "INTERNAL",
    message: `The function failed unexpectedly${requestId ? ` (request ${requestId})` : ""}; its log has the details. Retry later.`,
  };
}

/** An error as one field of a log line: enough to find it, with the stack of an unexpected one. */
export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof SpindleError) return { name: error.name, code: error.code, message: error.message };
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { message: String(error) };
}
