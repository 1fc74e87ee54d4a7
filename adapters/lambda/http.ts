// The HTTP API routes (API Gateway HTTP API, payload format 2.0), in the asynchronous request-reply style: a write
// answers 202 with the execution's status URL at once (after a short turn), and the caller polls that URL.
//
//   POST /executions                      { workflow, input?, id? }        202 + Location: /executions/{id}
//   GET  /executions/{id}                                                   200 the execution (status, result, ...)
//   POST /executions/{id}/events/{name}   the event's payload (JSON)       202 (Idempotency-Key header honoured)
//   POST /executions/{id}/cancel          { reason? }                      202
//   POST /executions/{id}/redrive         no body                          202 (a stuck or failed execution, again)
//   POST /callbacks/{token}/complete      the value (JSON)                 200
//   POST /callbacks/{token}/fail          { message, name?, code? }        200
//
// A retried write is no new write: a start without an id takes its id from the Idempotency-Key header (the same key
// answers with the same execution, created: false), an event is deduplicated by that header, a callback by its token.
import type { ActionResult, Actions, Budget } from "./actions.js";
import type { Check, HttpRequest, HttpResponse } from "./events.js";
import { callbackError, strictObject } from "./events.js";
import { executionIdFromKey } from "./idempotency.js";
import { BadRequest } from "./outcomes.js";

const startBody = strictObject<{ workflow: string; input?: unknown; id?: string }>({ workflow: "text", input: "any?", id: "id?" });
const cancelFields = strictObject<{ reason?: string }>({ reason: "reason?" });
const cancelBody: Check<{ reason?: string } | undefined> = (value) => (value === undefined ? undefined : cancelFields(value));
const redriveBody: Check<Record<string, never> | undefined> = (value) =>
  value === undefined ? undefined : strictObject<Record<string, never>>({})(value) && "it takes no body (or {})";

/** A matched route: what it does, the status it answers with, and the execution's status path for a write. */
interface Route {
  run(actions: Actions, budget: Budget): Promise<{ status: number; body: ActionResult; location?: string }>;
}

/**
 * Answers one HTTP API request.
 * @throws BadRequest (400, 404, 405) for a malformed request; engine errors for the rest.
 */
export async function handleHttp(request: HttpRequest, actions: Actions, budget: Budget, basePath: string): Promise<HttpResponse> {
  const { path, prefix } = routePath(request, basePath);
  const route = match(request.requestContext.http.method.toUpperCase(), path, () => parseBody(request), header(request, "idempotency-key"));
  const { status, body, location } = await route.run(actions, budget);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (location !== undefined) {
    headers.location = `${prefix}${location}`;
    const host = request.requestContext.domainName;
    if (host !== undefined) (body as Record<string, unknown>).statusUrl = `https://${host}${prefix}${location}`;
  }
  return { statusCode: status, headers, body: JSON.stringify(body) };
}

function match(method: string, path: string, body: () => unknown, idempotencyKey: string | undefined): Route {
  const parts = path.split("/").filter((part) => part !== "").map(segment);
  const [root, id, verb, name, extra] = parts;
  const allow = (allowed: string, route: Route): Route => {
    if (method !== allowed) throw new BadRequest(`${method} is not allowed on ${path}; use ${allowed}.`, 405);
    return route;
  };
  if (root === "executions" && id === undefined) {
    return allow("POST", {
      run: async (actions, budget) => {
        const { workflow, input, id: requested } = parse(startBody, body(), "the start request");
        // An explicit id already makes the start idempotent; without one, the key decides the id.
        const id = requested ?? (idempotencyKey === undefined ? undefined : executionIdFromKey(workflow, checkKey(idempotencyKey)));
        const started = await actions.start(workflow, input, id, budget);
        return { status: 202, body: started, location: `/executions/${encodeURIComponent((started as { executionId: string }).executionId)}` };
      },
    });
  }
  if (root === "executions" && id !== undefined && verb === undefined) {
    return allow("GET", { run: async (actions, budget) => ({ status: 200, body: await actions.perform({ action: "describe", executionId: id }, budget) }) });
  }
  if (root === "executions" && id !== undefined && verb === "events" && name !== undefined && extra === undefined) {
    return allow("POST", {
      run: async (actions, budget) => ({
        status: 202,
        body: await actions.sendEvent(id, name, body(), idempotencyKey, budget),
        location: `/executions/${encodeURIComponent(id)}`,
      }),
    });
  }
  if (root === "executions" && id !== undefined && verb === "cancel" && name === undefined) {
    return allow("POST", {
      run: async (actions, budget) => {
        const reason = parse(cancelBody, body(), "the cancel request")?.reason;
        const result = await actions.perform({ action: "cancel", executionId: id, ...(reason === undefined ? {} : { reason }) }, budget);
        return { status: 202, body: result, location: `/executions/${encodeURIComponent(id)}` };
      },
    });
  }
  if (root === "executions" && id !== undefined && verb === "redrive" && name === undefined) {
    return allow("POST", {
      run: async (actions, budget) => {
        parse(redriveBody, body(), "the redrive request");
        return { status: 202, body: await actions.perform({ action: "redrive", executionId: id }, budget), location: `/executions/${encodeURIComponent(id)}` };
      },
    });
  }
  if (root === "callbacks" && id !== undefined && (verb === "complete" || verb === "fail") && name === undefined) {
    return allow("POST", {
      run: async (actions, budget) => {
        const action =
          verb === "complete"
            ? ({ action: "completeCallback", token: id, value: body() } as const)
            : ({ action: "failCallback", token: id, error: parse(callbackError, body(), "the callback failure") } as const);
        return { status: 200, body: await actions.perform(action, budget) };
      },
    });
  }
  throw new BadRequest(
    `No route ${method} ${path}. Routes: POST /executions, GET /executions/{id}, POST /executions/{id}/events/{name}, ` +
      `POST /executions/{id}/cancel, POST /executions/{id}/redrive, POST /callbacks/{token}/complete, POST /callbacks/{token}/fail.`,
    404,
  );
}

/** The path below the stage and base path, and that prefix itself. */
function routePath(request: HttpRequest, basePath: string): { path: string; prefix: string } {
  let path = request.rawPath || "/";
  let prefix = "";
  const stage = request.requestContext.stage;
  if (stage !== undefined && stage !== "$default" && (path === `/${stage}` || path.startsWith(`/${stage}/`))) {
    prefix = `/${stage}`;
    path = path.slice(prefix.length) || "/";
  }
  if (basePath !== "" && (path === basePath || path.startsWith(`${basePath}/`))) {
    prefix += basePath;
    path = path.slice(basePath.length) || "/";
  }
  return { path, prefix };
}

function segment(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new BadRequest(`The path segment '${part.slice(0, 80)}' is not valid percent-encoding.`);
  }
}

/** An Idempotency-Key as sendEvent takes one: 1 to 512 characters. */
function checkKey(key: string): string {
  if (key === "" || key.length > 512) {
    throw new BadRequest(`The Idempotency-Key header must be 1 to 512 characters long, got ${key.length}. Nothing was stored.`);
  }
  return key;
}

function header(request: HttpRequest, name: string): string | undefined {
  for (const [key, value] of Object.entries(request.headers ?? {})) if (key.toLowerCase() === name) return value;
  return undefined;
}

/** The request body as JSON; an empty body is `undefined`. */
function parseBody(request: HttpRequest): unknown {
  const raw = request.body;
  if (raw === undefined || raw === "") return undefined;
  const text = request.isBase64Encoded ? Buffer.from(raw, "base64").toString("utf8") : raw;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BadRequest(`The request body is not JSON (${(error as Error).message}). Send a JSON document, or no body.`);
  }
}

function parse<T>(check: Check<T>, value: unknown, what: string): T {
  const problem = check(value);
  if (problem === undefined) return value as T;
  throw new BadRequest(`${what[0]!.toUpperCase()}${what.slice(1)} is malformed: ${problem}. Nothing was stored.`);
}
