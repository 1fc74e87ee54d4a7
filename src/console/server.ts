// startConsole(): the Spindle console's HTTP server (node:http only). It serves the page and a JSON API under /api/
// over one engine, on 127.0.0.1 by default. Safe by default: read-only unless `allowActions`, every request checked
// for its Host and origin, and every action for the per-start secret the page carries (security.ts).
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer } from "node:http";
import { createEngine } from "../engine/engine.js";
import type { Engine } from "../engine/api.js";
import { silentLogger } from "../engine/log.js";
import { ValidationError } from "../errors.js";
import type { HistoryStore } from "../store/history-store.js";
import type { AnyWorkflow } from "../workflow.js";
import { ApiError, ConsoleApi, errorResponse } from "./api.js";
import { openInBrowser } from "./open.js";
import { pageAssets } from "./page-source.js";
import { BASE_HEADERS, Guard, isWildcard, PAGE_POLICY } from "./security.js";

/** Largest request body an action accepts. */
const MAX_BODY = 1024 * 1024;

/**
 * Options of `startConsole`: an engine (with the workflows, for their schemas), or a store and workflows.
 *
 * @example
 * ```ts
 * const options: ConsoleOptions = { store: new MemoryStore(), workflows: [order], port: 4300, allowActions: true };
 * ```
 */
export type ConsoleOptions = (
  | {
      /** The engine whose executions the console shows and acts on (a test engine's `t.engine` too). */
      engine: Engine;
      /** The workflows of that engine: their event and callback schemas give the action forms. */
      workflows?: readonly AnyWorkflow[];
    }
  | {
      /**
       * The store to show. The console makes an engine in `external` mode over it: actions record the command (an
       * event, a completion, a cancel) and the deployment's own workers run the turns; Resume runs one turn here.
       */
      store: HistoryStore;
      workflows: readonly AnyWorkflow[];
    }
) & {
  /** Default 4300; 0 picks a free port. */
  port?: number;
  /** Default "127.0.0.1". Another address is an explicit choice: anyone who can reach it can read executions. */
  host?: string;
  /** Allow actions (send, complete, fail, cancel, terminate, resume, redrive). Default false: read-only. */
  allowActions?: boolean;
  /** Open the page in the desktop's browser once listening (`open`, `start`, `xdg-open`); ignored when there is none. */
  open?: boolean;
};

/**
 * A running console.
 *
 * @example
 * ```ts
 * const { url, close } = await startConsole({ engine, workflows: [order] });
 * console.log(`Spindle console: ${url}`);
 * await close();
 * ```
 */
export interface RunningConsole {
  /** The page's address, e.g. `http://127.0.0.1:4300/`. */
  url: string;
  /** This start's action secret (the page carries it; scripts send it as the `x-spindle-secret` header). */
  secret: string;
  /** Whether actions are allowed. */
  allowActions: boolean;
  /** Whether a browser was asked to open the page (`open: true` and the desktop has an opener). */
  opened: boolean;
  /** Stops the server (and the engine it made over a store). */
  close(): Promise<void>;
}

/**
 * Starts the console: a local web page listing executions, drawing each one as a waterfall on a time axis, and
 * (with `allowActions`) acting on them.
 *
 * @example
 * ```ts
 * import { startConsole } from "spindle/console";
 * const running = await startConsole({ store, workflows: [order], allowActions: true });
 * console.log(running.url); // http://127.0.0.1:4300/
 * ```
 * @throws ValidationError for a bad port or options without an engine or a store; the listen error (EADDRINUSE) as is.
 */
export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const port = options.port ?? 4300;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ValidationError(`startConsole: port must be a whole number from 0 to 65535, got ${String(port)}. Pass another port.`);
  }
  // An IPv6 address may come bracketed, as in a URL ("[::1]"); listen() and the Host check take it bare.
  const given = options.host ?? "127.0.0.1";
  const host = given.startsWith("[") && given.endsWith("]") ? given.slice(1, -1) : given;
  const allowActions = options.allowActions === true;
  let engine: Engine;
  let ownEngine = false;
  if ("engine" in options && options.engine) {
    engine = options.engine;
  } else if ("store" in options && options.store) {
    engine = createEngine({ store: options.store, workflows: options.workflows ?? [], mode: "external", logger: silentLogger });
    ownEngine = true;
  } else {
    throw new ValidationError("startConsole needs { engine } or { store, workflows }. Pass the engine (or store) whose executions to show.");
  }
  const api = new ConsoleApi(engine, options.workflows ?? []);
  const assets = await pageAssets();
  let guard: Guard | undefined;
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const { status, body } = errorResponse(error);
      send(response, status, body);
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!guard) return send(response, 503, { error: { name: "Unavailable", code: "UNAVAILABLE", message: "The console is still starting. Try again." } });
    const refused = guard.checkOrigin(request);
    if (refused) return send(response, refused.status, { error: { name: refused.name, code: refused.code, message: refused.message } });
    const url = new URL(request.url ?? "/", "http://console.invalid");
    const method = request.method ?? "GET";
    if (method === "GET" && (url.pathname === "/" || url.pathname === "/index.html")) {
      const html = assets.html.replace("{{secret}}", allowActions ? guard.secret : "").replace("{{actions}}", String(allowActions));
      return sendText(response, 200, "text/html; charset=utf-8", html, { "content-security-policy": PAGE_POLICY });
    }
    if (method === "GET" && url.pathname === "/app.js") return sendText(response, 200, "text/javascript; charset=utf-8", assets.script);
    if (method === "GET" && url.pathname === "/app.css") return sendText(response, 200, "text/css; charset=utf-8", assets.style);
    if (!url.pathname.startsWith("/api/")) return send(response, 404, { error: { name: "NotFound", code: "NOT_FOUND", message: `Nothing at ${url.pathname}.` } });
    const parts = url.pathname.slice("/api/".length).split("/").map(decodePart);
    if (method === "GET") return send(response, 200, await read(parts, url.searchParams));
    if (method !== "POST") {
      return send(response, 405, { error: { name: "MethodNotAllowed", code: "METHOD_NOT_ALLOWED", message: `${method} is not accepted; the API takes GET and POST.` } });
    }
    if (!allowActions) {
      return send(response, 403, {
        error: { name: "Forbidden", code: "READ_ONLY", message: "The console is read-only. Start it with --allow-actions (allowActions: true) to act on executions." },
      });
    }
    const secretRefused = guard.checkSecret(request);
    if (secretRefused) {
      return send(response, secretRefused.status, { error: { name: secretRefused.name, code: secretRefused.code, message: secretRefused.message } });
    }
    const body = await readBody(request);
    // POST /api/executions/:id/:action, or /api/executions/:id/callbacks/:opId/(complete|fail)
    if (parts[0] === "executions" && parts.length === 3) return send(response, 200, { ok: true, result: await api.act(parts[1]!, parts[2]!, body) });
    if (parts[0] === "executions" && parts.length === 5 && parts[2] === "callbacks") {
      return send(response, 200, { ok: true, result: await api.act(parts[1]!, parts[4]!, body, parts[3]!) });
    }
    return send(response, 404, { error: { name: "NotFound", code: "NOT_FOUND", message: `No action at ${url.pathname}.` } });
  }

  async function read(parts: string[], query: URLSearchParams): Promise<unknown> {
    if (parts.length === 1 && parts[0] === "info") return { ...api.info(), actions: allowActions };
    if (parts.length === 1 && parts[0] === "executions") return api.list(query);
    if (parts.length === 2 && parts[0] === "executions") return api.execution(parts[1]!, query.get("known"));
    throw new ApiError(404, { name: "NotFound", code: "NOT_FOUND", message: `No API at /api/${parts.join("/")}.` });
  }

  await listen(server, port, host);
  const address = server.address();
  const bound = typeof address === "object" && address !== null ? address.port : port;
  guard = new Guard(host, bound);
  const shown = isWildcard(host) ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  const url = `http://${shown}:${bound}/`;
  return {
    url,
    secret: guard.secret,
    allowActions,
    opened: options.open === true ? await openInBrowser(url) : false,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (ownEngine) await engine.close();
    },
  };
}

function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ApiError(400, { name: "ValidationError", code: "VALIDATION", message: `'${part}' is not a well-formed URL path segment. Encode ids with encodeURIComponent.` });
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

async function readBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new ApiError(413, { name: "PayloadTooLargeError", code: "PAYLOAD_TOO_LARGE", message: `The request body is over ${MAX_BODY} bytes. Send a smaller payload.` });
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError(400, { name: "ValidationError", code: "VALIDATION", message: "The request body is not JSON. Send a JSON object." });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ApiError(400, { name: "ValidationError", code: "VALIDATION", message: "The request body must be a JSON object." });
  }
  return parsed as Record<string, unknown>;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  sendText(response, status, "application/json; charset=utf-8", JSON.stringify(body));
}

function sendText(response: ServerResponse, status: number, type: string, text: string, extra: Record<string, string> = {}): void {
  if (response.headersSent) return;
  response.writeHead(status, { ...BASE_HEADERS, ...extra, "content-type": type, "content-length": Buffer.byteLength(text) });
  response.end(text);
}
