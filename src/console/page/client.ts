// The page's calls to the console's API. Actions carry the per-start secret from the page's meta tag; every failure
// becomes an ApiFailure whose message is the server's (a schema's message for a refused payload).
/// <reference lib="dom" />

const secret = document.querySelector<HTMLMetaElement>('meta[name="spindle-secret"]')?.content ?? "";
/** Whether the console was started with actions allowed. */
export const actionsAllowed = document.querySelector<HTMLMetaElement>('meta[name="spindle-actions"]')?.content === "true";

/** A refused or failed API call. */
export class ApiFailure extends Error {
  override name = "ApiFailure";
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(path, { ...init, credentials: "same-origin", cache: "no-store" });
  const body = (await response.json().catch(() => ({}))) as { error?: { message?: string; code?: string } };
  if (!response.ok) throw new ApiFailure(response.status, body.error?.message ?? `HTTP ${response.status}`, body.error?.code);
  return body as T;
}

/** GET /api/<path>. */
export function get<T>(path: string): Promise<T> {
  return call<T>(`/api/${path}`);
}

/** POST an action with its JSON body. */
export function act<T>(path: string, body: unknown): Promise<T> {
  return call<T>(`/api/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-spindle-secret": secret },
    body: JSON.stringify(body ?? {}),
  });
}

/** The API path of an execution. */
export function executionPath(id: string): string {
  return `executions/${encodeURIComponent(id)}`;
}
