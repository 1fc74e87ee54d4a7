// The console's safety checks, applied to every request before anything is read: the Host header must name the
// address the console listens on (so a DNS-rebinding page cannot reach it under another name), a request from a
// browser must come from the console's own origin, and an action must carry the per-start secret, which is only in
// the page the console serves (another origin cannot read that page: no CORS header is ever sent).
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/**
 * The header an action carries the console's secret in.
 *
 * @example
 * ```ts
 * await fetch(`${url}api/executions/order-o-1/cancel`, { method: "POST", headers: { [SECRET_HEADER]: secret } });
 * ```
 */
export const SECRET_HEADER = "x-spindle-secret";

/**
 * A refused request: the HTTP status and one line saying why and what to do.
 *
 * @example
 * ```ts
 * const refused: Refusal = { status: 403, message: "Cross-origin request from http://evil.example refused." };
 * ```
 */
export interface Refusal {
  status: 403 | 421;
  message: string;
}

/**
 * Who may talk to one running console: the Host names it answers to, and its secret.
 * @internal
 */
export class Guard {
  readonly secret: string;
  private readonly hosts: ReadonlySet<string> | undefined;

  /** `hosts` undefined: the console listens on every interface (an explicit choice), so any Host is accepted. */
  constructor(hosts: readonly string[] | undefined, secret = randomBytes(32).toString("base64url")) {
    this.secret = secret;
    this.hosts = hosts && new Set(hosts.map((host) => host.toLowerCase()));
  }

  /** Checks Host, Origin and Sec-Fetch-Site; undefined when the request may go on. */
  checkOrigin(request: IncomingMessage): Refusal | undefined {
    const host = request.headers.host?.toLowerCase();
    if (host === undefined || (this.hosts !== undefined && !this.hosts.has(host))) {
      return {
        status: 421,
        message: `The console answers only to ${[...(this.hosts ?? [])].join(", ")}; the request named host '${host ?? ""}'. Open the URL the console printed.`,
      };
    }
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== "null" && origin.toLowerCase() !== `http://${host}`) {
      return { status: 403, message: `Cross-origin request from ${origin} refused: only the console's own page may call its API.` };
    }
    if (origin === "null") return { status: 403, message: "Request from an opaque origin refused: only the console's own page may call its API." };
    const site = request.headers["sec-fetch-site"];
    if (site !== undefined && site !== "same-origin" && site !== "none") {
      return { status: 403, message: `Request from another site (${String(site)}) refused: only the console's own page may call its API.` };
    }
    return undefined;
  }

  /** Checks the action's secret header (a constant-time comparison). */
  checkSecret(request: IncomingMessage): Refusal | undefined {
    const given = request.headers[SECRET_HEADER];
    const expected = Buffer.from(this.secret);
    const actual = typeof given === "string" ? Buffer.from(given) : undefined;
    if (actual !== undefined && actual.length === expected.length && timingSafeEqual(actual, expected)) return undefined;
    return {
      status: 403,
      message: `Action refused: the ${SECRET_HEADER} header is ${given === undefined ? "missing" : "wrong"}. Act from the console's page, which carries this start's secret.`,
    };
  }
}

/**
 * The Host header values a console bound to `host`:`port` answers to; undefined for a wildcard address.
 *
 * @example
 * ```ts
 * allowedHosts("127.0.0.1", 4300); // ["127.0.0.1:4300", "localhost:4300"]
 * ```
 */
export function allowedHosts(host: string, port: number): string[] | undefined {
  if (host === "0.0.0.0" || host === "::") return undefined;
  const names = new Set([host.includes(":") && !host.startsWith("[") ? `[${host}]` : host]);
  if (host === "127.0.0.1" || host === "::1" || host === "localhost") {
    names.add("127.0.0.1");
    names.add("localhost");
    if (host === "::1") names.add("[::1]");
  }
  return [...names].map((name) => `${name}:${port}`);
}

/**
 * Headers every response carries: nothing is framed, sniffed, cached or readable from another origin.
 *
 * @example
 * ```ts
 * response.writeHead(200, { ...BASE_HEADERS, "content-type": "application/json" });
 * ```
 */
export const BASE_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "cross-origin-resource-policy": "same-origin",
  "cross-origin-opener-policy": "same-origin",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cache-control": "no-store",
};

/**
 * The page's Content-Security-Policy: its own scripts, styles and API only.
 *
 * @example
 * ```ts
 * response.setHeader("content-security-policy", PAGE_POLICY);
 * ```
 */
export const PAGE_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
