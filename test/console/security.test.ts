// The console's safety defaults, with plain HTTP: it binds 127.0.0.1, acts only with the per-start secret and only
// when started with actions allowed, refuses other origins and other Host names, and sends no CORS header. Also the
// API's answers to a refused payload (the schema's message, nothing stored).
import { createServer, request } from "node:http";
import { networkInterfaces } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, MemoryStore, silentLogger } from "../../src/index.js";
import { startConsole } from "../../src/console/index.js";
import { allowedHosts } from "../../src/console/security.js";
import type { ConsoleWorld } from "./fixtures.js";
import { consoleWorkflows, startWorld } from "./fixtures.js";

/** A raw HTTP call, so the test sets any Host header it likes. */
function raw(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const call = request(url, { method: options.method ?? "GET", headers: options.headers ?? {} }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    call.on("error", reject);
    call.end(options.body);
  });
}

/** A fetch's answer as raw() gives it. */
async function asRaw(answer: Promise<Response>): Promise<{ status: number; body: string }> {
  const response = await answer;
  return { status: response.status, body: await response.text() };
}

describe("console security (actions allowed)", () => {
  let world: ConsoleWorld;
  let base: string;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

  beforeAll(async () => {
    world = await startWorld({ allowActions: true });
    base = world.console.url.replace(/\/$/, "");
  });
  afterAll(async () => world.close());

  it("binds 127.0.0.1 by default and prints that address: the machine's other addresses do not answer", async () => {
    expect(world.console.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(world.console.url);
    expect(page.status).toBe(200);
    const port = new URL(world.console.url).port;
    const outside = Object.values(networkInterfaces()).flat().filter((address) => address && !address.internal && address.family === "IPv4");
    for (const address of outside) {
      await expect(fetch(`http://${address!.address}:${port}/api/executions`)).rejects.toThrow();
    }
  });

  it("serves the page with a self-only Content-Security-Policy, the secret in it, and no CORS header anywhere", async () => {
    const page = await fetch(world.console.url);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'; script-src 'self'");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(await page.text()).toContain(`content="${world.console.secret}"`);
    for (const path of ["/", "/app.js", "/api/executions", "/api/executions/expense-1"]) {
      const response = await fetch(`${base}${path}`, { headers: { origin: base } });
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
      expect(response.headers.get("cross-origin-resource-policy")).toBe("same-origin");
    }
  });

  it("refuses an action without the secret, or with a wrong one, and stores nothing", async () => {
    const before = (await world.t.history("expense-1")).length;
    const missing = await post("/api/executions/expense-1/events", { name: "approval", payload: { approved: true, approver: "eve" } });
    expect(missing.status).toBe(403);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toContain("x-spindle-secret header is missing");
    const wrong = await post("/api/executions/expense-1/cancel", {}, { "x-spindle-secret": `${world.console.secret.slice(0, -1)}x` });
    expect(wrong.status).toBe(403);
    const short = await post("/api/executions/expense-1/cancel", {}, { "x-spindle-secret": "guess" });
    expect(short.status).toBe(403);
    expect((await world.t.history("expense-1")).length).toBe(before);
    expect((await world.t.describe("expense-1")).status).toBe("suspended");
  });

  it("refuses a cross-origin request, even one that carries the secret", async () => {
    const forged = await post("/api/executions/trip-1/cancel", {}, { "x-spindle-secret": world.console.secret, origin: "http://evil.example" });
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { error: { message: string } }).error.message).toContain("Cross-origin request from http://evil.example");
    const read = await fetch(`${base}/api/executions`, { headers: { origin: "http://localhost:9999" } });
    expect(read.status).toBe(403);
    const site = await fetch(`${base}/api/executions`, { headers: { "sec-fetch-site": "cross-site" } });
    expect(site.status).toBe(403);
    expect((await world.t.describe("trip-1")).status).toBe("suspended");
  });

  it("refuses a Host header that is not the console's address (DNS rebinding)", async () => {
    const rebound = await raw(`${base}/api/executions`, { headers: { host: `attacker.example:${new URL(base).port}` } });
    expect(rebound.status).toBe(421);
    expect(rebound.body).not.toContain("expense-1");
    const localhost = await raw(`${base}/api/executions`, { headers: { host: `localhost:${new URL(base).port}` } });
    expect(localhost.status).toBe(200);
  });

  it("refuses a payload its event schema rejects with the schema's message, storing nothing; a good one lands", async () => {
    const secret = { "x-spindle-secret": world.console.secret };
    const before = (await world.t.history("expense-2")).length;
    const bad = await post("/api/executions/expense-2/events", { name: "approval", payload: { approved: true, approver: "" } }, secret);
    expect(bad.status).toBe(400);
    const refusal = (await bad.json()) as { error: { name: string; code: string; message: string } };
    expect(refusal.error).toMatchObject({ name: "ValidationError", code: "VALIDATION" });
    expect(refusal.error.message).toContain("name the approver");
    expect((await world.t.history("expense-2")).length).toBe(before);
    const good = await post("/api/executions/expense-2/events", { name: "approval", payload: { approved: false, approver: "maria" } }, secret);
    expect(good.status).toBe(200);
    expect(await world.t.result("expense-2")).toEqual({ approved: false, by: "maria" });
  });

  it("finds a callback's token from the history, so the page completes it by operation", async () => {
    const secret = { "x-spindle-secret": world.console.secret };
    const view = (await (await fetch(`${base}/api/executions/trip-2`)).json()) as { pending: { kind: string; opId: string; schema?: unknown }[] };
    const pending = view.pending.find((item) => item.kind === "callback")!;
    expect(pending.schema).toMatchObject({ type: "object", properties: { ok: { type: "boolean" } } });
    const bad = await post(`/api/executions/trip-2/callbacks/${pending.opId}/complete`, { value: { ok: "yes" } }, secret);
    expect(bad.status).toBe(400);
    const unknown = await post("/api/executions/trip-2/callbacks/99/complete", { value: { ok: true } }, secret);
    expect(unknown.status).toBe(404);
    const done = await post(`/api/executions/trip-2/callbacks/${pending.opId}/complete`, { value: { ok: true } }, secret);
    expect(done.status).toBe(200);
    expect(await world.t.result("trip-2")).toEqual({ booked: true });
  });

  it("answers a poll of an unchanged execution without its history, and in full once it changed", async () => {
    const view = (await (await fetch(`${base}/api/executions/trip-1`)).json()) as { version: string; history: unknown[] };
    expect(view.history.length).toBeGreaterThan(0);
    const again = await (await fetch(`${base}/api/executions/trip-1?known=${encodeURIComponent(view.version)}`)).json();
    expect(again).toEqual({ unchanged: true, now: world.t.now().getTime() });
    await world.t.sendEvent("trip-1", "note", { text: "an event nobody waits for" });
    const changed = (await (await fetch(`${base}/api/executions/trip-1?known=${encodeURIComponent(view.version)}`)).json()) as { version: string };
    expect(changed.version).not.toBe(view.version);
  });

  it("lists newest first a page at a time, and filters by workflow, status and custom status", async () => {
    type Page = { executions: { id: string }[]; cursor?: string };
    const ids = (page: Page) => page.executions.map((execution) => execution.id);
    const first = (await (await fetch(`${base}/api/executions?workflow=trip-booking&limit=1`)).json()) as Page;
    expect(ids(first)).toEqual(["trip-2"]);
    expect(first.cursor).toBeDefined();
    const second = (await (await fetch(`${base}/api/executions?workflow=trip-booking&limit=1&cursor=${encodeURIComponent(first.cursor!)}`)).json()) as Page;
    expect(ids(second)).toEqual(["trip-1"]);
    const waiting = (await (await fetch(`${base}/api/executions?status=suspended&customStatus=AWAITING%20APPROVAL`)).json()) as Page;
    expect(ids(waiting)).toEqual(["expense-1"]); // expense-2 was decided by an earlier test: its stage is "rejected"
    const rejected = (await (await fetch(`${base}/api/executions?customStatus=rejected`)).json()) as Page;
    expect(ids(rejected)).toEqual(["expense-2"]);
    const failed = (await (await fetch(`${base}/api/executions?status=failed,completed&workflow=monthly-report`)).json()) as Page;
    expect(ids(failed)).toEqual(["report-2026-02"]);
  });

  it("answers every refusal as { error: { name, code, message } }, with a code of its own", async () => {
    const port = new URL(base).port;
    const secret = { "x-spindle-secret": world.console.secret };
    const refusals: [Promise<{ status: number; body: string }>, number, string, string][] = [
      [asRaw(post("/api/executions/expense-1/cancel", {})), 403, "Forbidden", "SECRET_INVALID"],
      [asRaw(post("/api/executions/expense-1/cancel", {}, { "x-spindle-secret": "guess" })), 403, "Forbidden", "SECRET_INVALID"],
      [asRaw(fetch(`${base}/api/executions`, { headers: { origin: "http://evil.example" } })), 403, "Forbidden", "CROSS_ORIGIN"],
      [asRaw(fetch(`${base}/api/executions`, { headers: { "sec-fetch-site": "cross-site" } })), 403, "Forbidden", "CROSS_ORIGIN"],
      [raw(`${base}/api/executions`, { headers: { host: `attacker.example:${port}` } }), 421, "MisdirectedRequest", "HOST_NOT_ALLOWED"],
      [asRaw(fetch(`${base}/nothing-here`)), 404, "NotFound", "NOT_FOUND"],
      [asRaw(fetch(`${base}/api/nothing-here`)), 404, "NotFound", "NOT_FOUND"],
      [asRaw(post("/api/executions/expense-1/bogus", {}, secret)), 404, "NotFound", "NOT_FOUND"],
      [asRaw(post("/api/executions/expense-1/a/b/c/d", {}, secret)), 404, "NotFound", "NOT_FOUND"],
      [asRaw(fetch(`${base}/api/executions`, { method: "PUT" })), 405, "MethodNotAllowed", "METHOD_NOT_ALLOWED"],
      [asRaw(fetch(`${base}/api/executions?limit=1001`)), 400, "ValidationError", "VALIDATION"],
      [asRaw(post("/api/executions/expense-1/cancel", { reason: "x".repeat(3 * 1024 * 1024) }, secret)), 413, "PayloadTooLargeError", "PAYLOAD_TOO_LARGE"],
    ];
    for (const [answer, status, name, code] of refusals) {
      const { status: got, body } = await answer;
      expect({ got, ...(JSON.parse(body) as { error: object }).error }).toMatchObject({ got: status, name, code, message: expect.any(String) });
    }
    expect((await world.t.describe("expense-1")).status).toBe("suspended");
  });

  it("takes a page of up to 1,000 executions, as spindle list --limit does", async () => {
    const page = await fetch(`${base}/api/executions?limit=1000`);
    expect(page.status).toBe(200);
    const over = (await (await fetch(`${base}/api/executions?limit=1001`)).json()) as { error: { message: string } };
    expect(over.error.message).toContain("from 1 to 1000, got '1001'");
  });

  it("answers an unknown execution with 404 and a malformed filter with 400", async () => {
    expect((await fetch(`${base}/api/executions/nope`)).status).toBe(404);
    expect((await fetch(`${base}/api/executions?status=sleeping`)).status).toBe(400);
    expect((await fetch(`${base}/api/executions?limit=0`)).status).toBe(400);
  });

  it("answers a cancel or terminate of an execution already stopped with false and its status: nothing recorded", async () => {
    const secret = { "x-spindle-secret": world.console.secret };
    await world.t.start(world.workflows.trip, { tripId: "t-stop" }, { id: "trip-stop" });
    const first = await post("/api/executions/trip-stop/terminate", { reason: "bad deploy" }, secret);
    expect(await first.json()).toEqual({ ok: true, result: { executionId: "trip-stop", terminated: true } });
    const events = (await world.t.engine.history("trip-stop")).length;
    const again = await post("/api/executions/trip-stop/terminate", {}, secret);
    expect(await again.json()).toEqual({ ok: true, result: { executionId: "trip-stop", terminated: false, status: "terminated" } });
    const cancel = await post("/api/executions/trip-stop/cancel", {}, secret);
    expect(await cancel.json()).toEqual({ ok: true, result: { executionId: "trip-stop", cancelled: false, status: "terminated" } });
    expect((await world.t.engine.history("trip-stop")).length).toBe(events);
  });
});

describe("console security (bound to every interface, actions allowed)", () => {
  let world: ConsoleWorld;
  let port: string;
  const get = (host: string) => raw(`${world.console.url}`, { headers: { host } });

  beforeAll(async () => {
    world = await startWorld({ allowActions: true, host: "0.0.0.0" });
    port = new URL(world.console.url).port;
  });
  afterAll(async () => world.close());

  it("refuses a DNS name in Host (421): neither the page with its secret nor an action with that secret", async () => {
    for (const name of ["evil.example", "127.0.0.1.nip.io", "localhost.evil.example", "[::1].evil.example"]) {
      const page = await get(`${name}:${port}`);
      expect(page.status).toBe(421);
      expect(page.body).not.toContain(world.console.secret);
      expect(page.body).toContain("answers only to an IP address or localhost");
    }
    const forged = await raw(`${world.console.url}api/executions/trip-1/terminate`, {
      method: "POST",
      headers: {
        host: `evil.example:${port}`,
        origin: `http://evil.example:${port}`,
        "x-spindle-secret": world.console.secret,
        "content-type": "application/json",
      },
      body: "{}",
    });
    expect(forged.status).toBe(421);
    expect((await world.t.describe("trip-1")).status).toBe("suspended");
  });

  it("answers an IP literal (v4, or v6 bracketed) or localhost with its own port, and nothing on another port", async () => {
    for (const name of ["127.0.0.1", "localhost", "192.168.1.20", "[::1]", "[fe80::1]"]) {
      const page = await get(`${name}:${port}`);
      expect(page.status).toBe(200);
      expect(page.body).toContain(`content="${world.console.secret}"`);
    }
    for (const host of [`127.0.0.1:${Number(port) === 1 ? 2 : Number(port) - 1}`, "127.0.0.1", "::1", `::1:${port}`, `[::1]:${port}:1`]) {
      expect((await get(host)).status).toBe(421);
    }
  });
});

describe("console security (read-only, the default)", () => {
  it("refuses every action, even with the secret, and puts no secret in the page", async () => {
    const workflows = consoleWorkflows();
    const running = await startConsole({ store: new MemoryStore(), workflows: workflows.all, port: 0 });
    try {
      expect(running.allowActions).toBe(false);
      const page = await (await fetch(running.url)).text();
      expect(page).toContain('name="spindle-secret" content=""');
      expect(page).toContain('name="spindle-actions" content="false"');
      for (const action of ["events", "cancel", "terminate", "resume", "redrive"]) {
        const response = await fetch(`${running.url}api/executions/any/${action}`, {
          method: "POST",
          headers: { "x-spindle-secret": running.secret, "content-type": "application/json" },
          body: "{}",
        });
        expect(response.status).toBe(403);
        const refusal = ((await response.json()) as { error: { name: string; code: string; message: string } }).error;
        expect(refusal).toMatchObject({ name: "Forbidden", code: "READ_ONLY" });
        expect(refusal.message).toContain("read-only");
      }
      expect((await fetch(`${running.url}api/executions`)).status).toBe(200);
    } finally {
      await running.close();
    }
  });

  it("marks an execution whose workflow it was not given, which the engine would refuse to act on", async () => {
    const workflows = consoleWorkflows();
    const store = new MemoryStore();
    const app = createEngine({ store, workflows: workflows.all, mode: "external", logger: silentLogger });
    await app.start(workflows.trip, { tripId: "t-9" }, { id: "trip-9" });
    await app.resume("trip-9");
    const running = await startConsole({ store, workflows: [], port: 0 });
    try {
      const view = (await (await fetch(`${running.url}api/executions/trip-9`)).json()) as { unknownWorkflow: boolean; pending: { kind: string; schema?: unknown }[] };
      expect(view.unknownWorkflow).toBe(true);
      expect(view.pending).toEqual([expect.objectContaining({ kind: "callback", name: "sign-off" })]);
      expect(view.pending[0]!.schema).toBeUndefined();
    } finally {
      await running.close();
      await app.close();
    }
  });

  it("refuses a port that is not one with a ValidationError", async () => {
    const workflows = consoleWorkflows();
    await expect(startConsole({ store: new MemoryStore(), workflows: workflows.all, port: 70_000 })).rejects.toThrow(/port must be a whole number/);
  });

  it("takes an IPv6 host bracketed as in a URL, and a localhost console answers to [::1] too", async () => {
    expect(allowedHosts("localhost", 4300)).toContain("[::1]:4300");
    const ipv6 = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once("error", () => resolve(false));
      probe.listen(0, "::1", () => probe.close(() => resolve(true)));
    });
    if (!ipv6) return; // a machine without IPv6 loopback: the Host list above is what can be checked
    const running = await startConsole({ store: new MemoryStore(), workflows: [], host: "[::1]", port: 0 });
    try {
      expect(running.url).toMatch(/^http:\/\/\[::1\]:\d+\/$/);
      expect((await fetch(`${running.url}api/executions`)).status).toBe(200);
    } finally {
      await running.close();
    }
  });
});
