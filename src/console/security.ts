// The console's safety checks, applied to every request before anything is read: the Host header must name the
// address the console listens on (so a DNS-rebinding page cannot reach it under another name), a request from a
// browser must come from the console's own origin, and an action must carry the per-start secret, which is only in
// the page the console serves (another origin cannot read that page: no CORS header is ever sent).
import { randomBytes, timingSafeEqual } from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";
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
 * A refused request: the HTTP status, the error's name and code (as every console error answers), and one line
 * saying why and what to do.
 *
 * @example
 * ```ts
 * const refused: Refusal = { status: 403, name: "Forbidden", code: "CROSS_ORIGIN", message: "Cross-origin request from http://evil.example refused." };
 * ```
 */
export interface Refusal {
  status: 403 | 421;
  name: "Forbidden" | "MisdirectedRequest";
  code: "CROSS_ORIGIN" | "SECRET_INVALID" | "HOST_NOT_ALLOWED";
  message: string;
}

/**
 * Who may talk to one running console: the Host names it answers to, and its secret.
 * @internal
 */
export class Guard {
  readonly secret: string;
  private readonly hosts: ReadonlySet<string> | undefined;

  /**
   * `bind` is the address the console listens on and `port` its bound port. A wildcard bind (every interface, an
   * explicit choice) answers to any IP literal or `localhost` with that port, never to a DNS name: DNS rebinding needs
   * a name, and a name cannot be checked against every interface's.
   */
  constructor(
    bind: string,
    private readonly port: number,
    secret = randomBytes(32).toString("base64url"),
  ) {
    this.secret = secret;
    const hosts = allowedHosts(bind, port);
    this.hosts = hosts && new Set(hosts.map((host) => host.toLowerCase()));
  }

  /** Checks Host, Origin and Sec-Fetch-Site; undefined when the request may go on. */
  checkOrigin(request: IncomingMessage): Refusal | undefined {
    const host = request.headers.host?.toLowerCase();
    if (host === undefined || !this.acceptsHost(host)) {
      const named = `the request named host '${host ?? ""}'. Open the URL the console printed.`;
      return {
        status: 421,
        name: "MisdirectedRequest",
        code: "HOST_NOT_ALLOWED",
        message:
          this.hosts === undefined
            ? `The console listens on every interface, so it answers only to an IP address or localhost with port ${this.port} (a DNS name could be a rebinding page's); ${named}`
            : `The console answers only to ${[...this.hosts].join(", ")}; ${named}`,
      };
    }
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== "null" && origin.toLowerCase() !== `http://${host}`) {
      return crossOrigin(`Cross-origin request from ${origin} refused: only the console's own page may call its API.`);
    }
    if (origin === "null") return crossOrigin("Request from an opaque origin refused: only the console's own page may call its API.");
    const site = request.headers["sec-fetch-site"];
    if (site !== undefined && site !== "same-origin" && site !== "none") {
      return crossOrigin(`Request from another site (${String(site)}) refused: only the console's own page may call its API.`);
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
      name: "Forbidden",
      code: "SECRET_INVALID",
      message: `Action refused: the ${SECRET_HEADER} header is ${given === undefined ? "missing" : "wrong"}. Act from the console's page, which carries this start's secret.`,
    };
  }

  /** Whether a (lower-cased) Host header names this console: its port (80 when absent) and an accepted name. */
  private acceptsHost(host: string): boolean {
    const parts = /^(\[[^\]]*\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host);
    if (!parts) return false;
    const name = parts[1]!;
    const port = parts[2] === undefined ? 80 : Number(parts[2]);
    if (this.hosts !== undefined) return this.hosts.has(`${name}:${port}`);
    if (port !== this.port) return false;
    return name === "localhost" || isIPv4(name) || (name.startsWith("[") && isIPv6(name.slice(1, -1)));
  }
}

function crossOrigin(message: string): Refusal {
  return { status: 403, name: "Forbidden", code: "CROSS_ORIGIN", message };
}

/**
 * The Host header values a console bound to `host`:`port` answers to; undefined for a wildcard address, which
 * answers to any IP literal or `localhost` with that port instead (see `Guard`).
 *
 * @example
 * ```ts
 * allowedHosts("127.0.0.1", 4300); // ["127.0.0.1:4300", "localhost:4300"]
 * ```
 */
export function allowedHosts(host: string, port: number): string[] | undefined {
  if (isWildcard(host)) return undefined;
  const names = new Set([host.includes(":") && !host.startsWith("[") ? `[${host}]` : host]);
  if (host === "127.0.0.1" || host === "::1" || host === "localhost") {
    names.add("127.0.0.1");
    names.add("localhost");
    // localhost may resolve to ::1, and a browser may then name the address itself.
    if (host === "::1" || host === "localhost") names.add("[::1]");
  }
  return [...names].map((name) => `${name}:${port}`);
}

/**
 * Whether `host` is an address for every interface (`0.0.0.0`, `::` or a spelling of it).
 *
 * @example
 * ```ts
 * isWildcard("0.0.0.0"); // true
 * ```
 */
export function isWildcard(host: string): boolean {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (isIPv4(bare)) return bare === "0.0.0.0";
  return isIPv6(bare) && /^[0:]+$/.test(bare);
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
