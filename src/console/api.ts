// The console's JSON API over the public engine: list, describe with history and waterfall, and the actions
// (send an event, complete or fail a callback, cancel, terminate, resume, redrive). Every answer is plain JSON; a
// refused action answers with the engine's typed error (name, code, message) and has stored nothing.
import { z } from "zod";
import type { HistoryEvent } from "../core/history.js";
import type { Engine } from "../engine/api.js";
import type { ExecutionDescription } from "../engine/describe.js";
import { SpindleError, ValidationError } from "../errors.js";
import type { ExecutionStatus } from "../store/history-store.js";
import { EXECUTION_STATUSES } from "../store/history-store.js";
import type { AnyWorkflow } from "../workflow.js";
import type { Waterfall } from "./waterfall.js";
import { buildWaterfall } from "./waterfall.js";

/** The statuses `list` may filter by. */
/** Most executions one list call reads from the store while filtering by custom status. */
const MAX_SCANNED = 1_000;
const DEFAULT_PAGE = 50;
/** Most executions one page may ask for: the same as `spindle list --limit`. */
const MAX_PAGE = 1_000;

/**
 * A pending wait the page can act on: an event to send, or a callback to complete or fail.
 *
 * @example
 * ```ts
 * const approval: PendingAction = { kind: "event", name: "approval", opId: "5", until: Date.now() + 86_400_000 };
 * ```
 */
export interface PendingAction {
  kind: "event" | "callback";
  name: string;
  opId: string;
  /** When the wait times out (epoch ms). */
  until?: number;
  /** The JSON Schema of the payload or value, from the workflow's zod schema; absent when it declares none. */
  schema?: unknown;
}

/**
 * One execution as the page shows it.
 *
 * @example
 * ```ts
 * const view: ExecutionView = await api.execution("order-o-1");
 * ```
 */
export interface ExecutionView {
  /** Changes whenever the execution does (its status, history length or last update). */
  version: string;
  execution: ExecutionDescription;
  history: HistoryEvent[];
  waterfall: Waterfall;
  pending: PendingAction[];
  /** JSON Schemas of every event the workflow declares (the send-event form offers them all). */
  events: { name: string; schema?: unknown }[];
  /** The workflow is not among those the console was given: no schemas, no forms from them. */
  unknownWorkflow: boolean;
}

/**
 * Failure of an API call: an HTTP status and the error as JSON. Never leaves the console's server.
 * @internal
 */
export class ApiError extends Error {
  override name = "ApiError";

  constructor(
    readonly status: number,
    readonly body: { name: string; code: string; message: string },
  ) {
    super(body.message);
  }
}

/**
 * The API's operations, independent of HTTP.
 * @internal
 */
export class ConsoleApi {
  private readonly workflows: ReadonlyMap<string, AnyWorkflow>;

  constructor(
    private readonly engine: Engine,
    workflows: readonly AnyWorkflow[],
  ) {
    this.workflows = new Map(workflows.map((definition) => [definition.name, definition]));
  }

  info(): { now: number; workflows: string[]; statuses: readonly ExecutionStatus[] } {
    return { now: this.engine.clock.now(), workflows: [...this.workflows.keys()].sort(), statuses: EXECUTION_STATUSES };
  }

  /** A page of executions, newest first; `customStatus` matches text anywhere in the custom status's JSON. */
  async list(query: URLSearchParams): Promise<{ executions: ExecutionDescription[]; cursor?: string; scanned: number }> {
    const workflow = query.get("workflow") || undefined;
    const statusText = query.get("status") || undefined;
    const status = statusText === undefined ? undefined : statusText.split(",");
    for (const item of status ?? []) {
      if (!EXECUTION_STATUSES.includes(item as ExecutionStatus)) {
        throw badRequest(`Unknown status '${item}' in the list filter. Use one of: ${EXECUTION_STATUSES.join(", ")}.`);
      }
    }
    const limit = query.get("limit") === null ? DEFAULT_PAGE : Number(query.get("limit"));
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      throw badRequest(`The list limit must be a whole number from 1 to ${MAX_PAGE}, got '${query.get("limit")}'.`);
    }
    const needle = query.get("customStatus")?.trim().toLowerCase() || undefined;
    let cursor = query.get("cursor") || undefined;
    const base = {
      ...(workflow === undefined ? {} : { workflow }),
      ...(status === undefined ? {} : { status: status as ExecutionStatus[] }),
    };
    if (needle === undefined) {
      const page = await this.engine.list({ ...base, limit, ...(cursor === undefined ? {} : { cursor }) });
      return { ...page, scanned: page.executions.length };
    }
    // The store cannot filter by custom status: read pages until one fills the page, the store ends or the scan cap.
    const found: ExecutionDescription[] = [];
    let scanned = 0;
    do {
      const page = await this.engine.list({ ...base, limit, ...(cursor === undefined ? {} : { cursor }) });
      scanned += page.executions.length;
      for (const execution of page.executions) {
        if (execution.customStatus !== undefined && JSON.stringify(execution.customStatus).toLowerCase().includes(needle)) found.push(execution);
      }
      cursor = page.cursor;
    } while (cursor !== undefined && found.length < limit && scanned < MAX_SCANNED);
    return { executions: found, ...(cursor === undefined ? {} : { cursor }), scanned };
  }

  /**
   * One execution. `known` is the `version` of the view the page already has: when the execution has not changed
   * since, only `{ unchanged, now }` comes back and the history is not read (the page polls every second).
   */
  async execution(id: string, known?: string | null): Promise<ExecutionView | { unchanged: true; now: number }> {
    const execution = await this.engine.describe(id);
    const version = versionOf(execution);
    if (known === version) return { unchanged: true, now: this.engine.clock.now() };
    const history = await this.engine.history(id);
    const definition = this.workflows.get(execution.workflow);
    const pending: PendingAction[] = execution.waitingFor
      .filter((wait) => wait.kind === "event" || wait.kind === "callback")
      .map((wait) => {
        const kind = wait.kind === "event" ? "event" : "callback";
        const schemas = kind === "event" ? definition?.eventSchemas : definition?.callbackSchemas;
        const schema = jsonSchema(schemas, wait.name);
        return {
          kind,
          name: wait.name,
          opId: wait.opId,
          ...(wait.until === undefined ? {} : { until: wait.until.getTime() }),
          ...(schema === undefined ? {} : { schema }),
        };
      });
    const events = Object.keys(definition?.eventSchemas ?? {}).map((name) => {
      const schema = jsonSchema(definition?.eventSchemas, name);
      return schema === undefined ? { name } : { name, schema };
    });
    return {
      version,
      execution,
      history,
      waterfall: buildWaterfall(history, this.engine.clock.now()),
      pending,
      events,
      unknownWorkflow: definition === undefined,
    };
  }

  /** Runs one action; `body` is the request's parsed JSON. */
  async act(id: string, action: string, body: Record<string, unknown>, opId?: string): Promise<unknown> {
    switch (action) {
      case "events": {
        const name = body.name;
        if (typeof name !== "string" || name === "") throw badRequest(`Execution '${id}': sendEvent needs an event name (a non-empty string).`, id);
        return this.engine.sendEvent(id, name, body.payload);
      }
      case "complete":
      case "fail": {
        const token = await this.callbackToken(id, opId);
        if (action === "complete") return this.engine.completeCallback(token, body.value);
        const message = body.message;
        if (typeof message !== "string" || message.trim() === "") {
          throw badRequest(`Execution '${id}': failing callback #${opId} needs a message saying why.`, id);
        }
        const name = typeof body.name === "string" && body.name.trim() !== "" ? body.name : "CallbackFailed";
        return this.engine.failCallback(token, { name, message });
      }
      case "cancel":
      case "terminate": {
        const reason = typeof body.reason === "string" && body.reason.trim() !== "" ? body.reason : undefined;
        // On an execution already stopped (or, for cancel, whose current run was cancelled already) the engine records
        // nothing and says so; its answer decides, so the reply never claims a cancellation another process made.
        const { recorded } = await (action === "cancel" ? this.engine.cancel(id, reason) : this.engine.terminate(id, reason));
        if (recorded) return { executionId: id, [action === "cancel" ? "cancelled" : "terminated"]: true };
        const { status } = await this.engine.describe(id);
        return { executionId: id, [action === "cancel" ? "cancelled" : "terminated"]: false, status };
      }
      case "resume": {
        const turn = await this.engine.resume(id);
        return { executionId: id, status: turn.status, appended: turn.appended };
      }
      case "redrive":
        return this.engine.redrive(id);
      default:
        throw new ApiError(404, { name: "NotFound", code: "NOT_FOUND", message: `No action '${action}'. Use events, complete, fail, cancel, terminate, resume or redrive.` });
    }
  }

  /** The token of the callback at `opId` of the execution's current run, from its CallbackCreated record. */
  private async callbackToken(id: string, opId: string | undefined): Promise<string> {
    const history = await this.engine.history(id);
    const created = [...history].reverse().find((event) => event.type === "CallbackCreated" && event.opId === opId);
    if (created?.type !== "CallbackCreated") {
      throw new ApiError(404, {
        name: "CallbackNotFoundError",
        code: "CALLBACK_NOT_FOUND",
        message: `Execution '${id}' has no callback #${opId ?? ""} in its current run. Reload the execution and act on a callback it waits for.`,
      });
    }
    return created.token;
  }
}

function versionOf(execution: ExecutionDescription): string {
  return `${execution.runId}:${execution.historyLength}:${execution.status}:${execution.updatedAt.getTime()}`;
}

/** The JSON Schema of `name`'s zod schema (what it accepts as input), or undefined when there is none to show. */
function jsonSchema(schemas: Record<string, z.ZodType> | undefined, name: string): unknown {
  const schema = schemas && Object.hasOwn(schemas, name) ? schemas[name] : undefined;
  if (schema === undefined) return undefined;
  try {
    return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  } catch {
    return undefined;
  }
}

function badRequest(message: string, executionId?: string): ApiError {
  const error = new ValidationError(message, executionId === undefined ? {} : { executionId });
  return new ApiError(400, { name: error.name, code: error.code, message: error.message });
}

const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  VALIDATION: 400,
  PAYLOAD_TOO_LARGE: 413,
  SERIALIZATION: 400,
  EXECUTION_NOT_FOUND: 404,
  CALLBACK_NOT_FOUND: 404,
  WORKFLOW_NOT_FOUND: 404,
  EXECUTION_CLOSED: 409,
  IDEMPOTENCY_CONFLICT: 409,
  REDRIVE_REFUSED: 409,
  NON_DETERMINISM: 409,
  CONCURRENCY: 409,
  STORE_UNAVAILABLE: 503,
};

/**
 * The HTTP answer for an error an API call threw: a Spindle error's name, code and message, with a status by code.
 *
 * @example
 * ```ts
 * const { status, body } = errorResponse(new ExecutionNotFoundError("Execution 'x' does not exist.")); // 404
 * ```
 * @internal
 */
export function errorResponse(error: unknown): { status: number; body: { error: { name: string; code: string; message: string } } } {
  if (error instanceof ApiError) return { status: error.status, body: { error: error.body } };
  if (error instanceof SpindleError) {
    return { status: STATUS_BY_CODE[error.code] ?? 500, body: { error: { name: error.name, code: error.code, message: error.message } } };
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { status: 500, body: { error: { name: "InternalError", code: "INTERNAL", message: `The console failed: ${message}` } } };
}
