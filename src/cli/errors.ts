// Exit codes of the `spindle` command and the one-line error report: every failure becomes one line on stderr naming
// what failed, its code and what to do (a stack only with --verbose), and an exit code a script can branch on.
import {
  CallbackNotFoundError,
  ConcurrencyError,
  ExecutionClosedError,
  ExecutionNotFoundError,
  HistoryCorruptedError,
  IdempotencyConflictError,
  NonDeterminismError,
  PayloadTooLargeError,
  RedriveRefusedError,
  SerializationError,
  StoreUnavailableError,
  ValidationError,
  WorkflowNotFoundError,
} from "../errors.js";

/**
 * The exit codes of `spindle`.
 *
 * - `ok` 0: done.
 * - `refused` 1: the operation was refused or failed (a closed execution, a redrive refused, a divergence found by
 *   `check`, a turn that failed), or an unexpected error.
 * - `usage` 2: the command line is wrong (unknown command or option, a missing argument, bad JSON), or the input was
 *   refused by a schema; nothing was stored.
 * - `notFound` 3: no such execution or callback token.
 * - `unavailable` 4: no store or workflows configured, the config module or an optional package could not be
 *   loaded, or the store could not be reached.
 *
 * @example
 * ```ts
 * if ((await runCli(["describe", "order-1"])) === EXIT.notFound) console.log("no such execution");
 * ```
 */
export const EXIT = { ok: 0, refused: 1, usage: 2, notFound: 3, unavailable: 4 } as const;

/**
 * One of the exit codes in EXIT.
 *
 * @example
 * ```ts
 * const code: ExitCode = EXIT.notFound;
 * ```
 */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const BRAND = Symbol.for("spindle.cli.CliError");

/**
 * A failure of the command line itself (usage, configuration), with the exit code it ends with. Identity through a
 * `Symbol.for` brand, as Spindle's errors: `CliError.is(error)` holds across copies of the package.
 *
 * @example
 * ```ts
 * throw new CliError("send: <json> is not JSON: Unexpected token 'x'. Quote it: '{\"ok\":true}'.", { exit: EXIT.usage, code: "USAGE" });
 * ```
 */
export class CliError extends Error {
  override readonly name = "CliError";
  readonly exit: ExitCode;
  /** A stable code for the line's `(code ...)` and for scripts: USAGE, CONFIG, MISSING_PACKAGE, NO_WORKFLOWS. */
  readonly code: string;
  constructor(message: string, options: { exit: ExitCode; code: string; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.exit = options.exit;
    this.code = options.code;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** True for a CliError from any copy of the package. */
  static is(error: unknown): error is CliError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
  }
}

/**
 * A usage error: exit 2, code USAGE.
 *
 * @example
 * ```ts
 * throw usageError("describe: missing <id>. Usage: spindle describe <id>");
 * ```
 */
export function usageError(message: string): CliError {
  return new CliError(message, { exit: EXIT.usage, code: "USAGE" });
}

/** Error names the AWS SDK uses for a request that never got an answer or was refused for access. */
const UNREACHABLE = new Set([
  "ResourceNotFoundException",
  "CredentialsProviderError",
  "UnrecognizedClientException",
  "AccessDeniedException",
  "InvalidSignatureException",
  "ExpiredTokenException",
  "TimeoutError",
]);

/** Node's error codes for a connection that could not be made. */
const CONNECTION = new Set(["ECONNREFUSED", "ENOTFOUND", "ECONNRESET", "ETIMEDOUT", "EAI_AGAIN", "EHOSTUNREACH"]);

/**
 * The exit code an error ends the command with.
 *
 * @example
 * ```ts
 * exitCodeOf(new ExecutionNotFoundError("...")); // EXIT.notFound
 * ```
 */
export function exitCodeOf(error: unknown): ExitCode {
  if (CliError.is(error)) return error.exit;
  if (error instanceof ExecutionNotFoundError || error instanceof CallbackNotFoundError) return EXIT.notFound;
  if (
    error instanceof ValidationError ||
    error instanceof SerializationError ||
    error instanceof PayloadTooLargeError
  ) {
    return EXIT.usage;
  }
  if (error instanceof StoreUnavailableError || error instanceof WorkflowNotFoundError) return EXIT.unavailable;
  if (
    error instanceof ExecutionClosedError ||
    error instanceof RedriveRefusedError ||
    error instanceof IdempotencyConflictError ||
    error instanceof NonDeterminismError ||
    error instanceof HistoryCorruptedError ||
    error instanceof ConcurrencyError
  ) {
    return EXIT.refused;
  }
  if (isUnreachable(error)) return EXIT.unavailable;
  return EXIT.refused;
}

/** True for an AWS SDK or network error that says the store could not be reached or used. */
function isUnreachable(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { name, code, cause } = error as { name?: unknown; code?: unknown; cause?: unknown };
  if (typeof name === "string" && UNREACHABLE.has(name)) return true;
  if (typeof code === "string" && CONNECTION.has(code)) return true;
  if (Array.isArray((error as { errors?: unknown }).errors)) {
    return ((error as { errors: unknown[] }).errors).some((inner) => isUnreachable(inner));
  }
  return cause !== undefined && cause !== error && isUnreachable(cause);
}

/**
 * The one line an error is reported as: `spindle <command>: <message><hint> (<code>)`, newlines folded, with advice
 * for errors from the store's service.
 *
 * @example
 * ```ts
 * errorLine("describe", error); // "spindle describe: Execution 'x' not found. (EXECUTION_NOT_FOUND)"
 * ```
 */
export function errorLine(command: string | undefined, error: unknown, hint = ""): string {
  const prefix = command === undefined ? "spindle" : `spindle ${command}`;
  const { message, code } = describeError(error);
  const folded = `${message}${hint}`.replace(/\s*\n\s*/g, " ").trim();
  return `${prefix}: ${folded}${code === undefined ? "" : ` (${code})`}`;
}

function describeError(error: unknown): { message: string; code?: string } {
  if (typeof error !== "object" || error === null) return { message: String(error) };
  const { message, code, name } = error as { message?: unknown; code?: unknown; name?: unknown };
  const text = typeof message === "string" && message !== "" ? message : String(name ?? "error");
  const label = typeof code === "string" ? code : typeof name === "string" && name !== "Error" ? name : undefined;
  if (isUnreachable(error) && !CliError.is(error)) {
    return {
      message: `${text} — the store could not be reached or used: check --table, --region, --endpoint and the AWS credentials.`,
      ...(label === undefined ? {} : { code: label }),
    };
  }
  return label === undefined ? { message: text } : { message: text, code: label };
}
