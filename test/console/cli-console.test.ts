// `spindle console` as a real process (the bin's source through tsx): over a DynamoDB Local table through flags, with
// the fixture config's workflows, acting on an execution (a refused payload, a good one, a turn run here); and over
// the config module's MemoryStore, read-only by default. A bad --port fails at once, exit 2.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createEngine, silentLogger } from "spindle";
import type { Engine } from "spindle";
import { DynamoDBStore } from "spindle/dynamodb";
import { freshTable, makeClient } from "../dynamodb/helpers.js";
import { approval, flaky, order } from "../cli/fixtures/spindle.config.js";
import { cli, FIXTURE_CONFIG } from "../cli/helpers.js";
import { spawnConsole } from "./spawn.js";

const ENV = { AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local" };

describe("spindle console over DynamoDB Local (flags)", () => {
  let table = "";
  let engine: Engine;

  beforeAll(async () => {
    table = await freshTable("console");
    engine = createEngine({ store: new DynamoDBStore({ client: makeClient(), tableName: table }), workflows: [order, approval, flaky], mode: "external", logger: silentLogger });
    await engine.start(order, { orderId: "ddb-1" }, { id: "ddb-order-1" });
    await engine.resume("ddb-order-1"); // waits for 'paid'
  });
  afterAll(async () => engine?.close());

  it("lists the table, refuses a bad payload with its schema's message, records a good one and runs a turn on Resume", { timeout: 60_000 }, async () => {
    const args = ["console", "--table", table, "--endpoint", inject("dynamodbEndpoint"), "--region", "us-east-1", "--config", FIXTURE_CONFIG];
    const run = await spawnConsole("src/cli/main.ts", [...args, "--port", "0", "--allow-actions"], ENV);
    try {
      expect(run.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect((await (await fetch(`${run.url}api/info`)).json()) as object).toMatchObject({ actions: true });
      const list = (await (await fetch(`${run.url}api/executions`)).json()) as { executions: { id: string; status: string }[] };
      expect(list.executions.map((execution) => [execution.id, execution.status])).toEqual([["ddb-order-1", "suspended"]]);
      const page = await (await fetch(run.url)).text();
      const secret = /name="spindle-secret" content="([^"]+)"/.exec(page)?.[1];
      expect(secret).toBeTruthy();
      const act = (path: string, body: unknown) =>
        fetch(`${run.url}api/executions/ddb-order-1/${path}`, { method: "POST", headers: { "x-spindle-secret": secret!, "content-type": "application/json" }, body: JSON.stringify(body) });

      const before = (await engine.history("ddb-order-1")).length;
      const bad = await act("events", { name: "paid", payload: { ref: 42 } });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: { name: string; message: string } }).error).toMatchObject({ name: "ValidationError" });
      expect((await engine.history("ddb-order-1")).length).toBe(before);

      expect((await act("events", { name: "paid", payload: { ref: "r-7" } })).status).toBe(200);
      expect((await engine.describe("ddb-order-1")).status).toBe("suspended"); // recorded; the CLI's engine runs no turn by itself
      const resumed = (await (await act("resume", {})).json()) as { result: { status: string } };
      expect(resumed.result.status).toBe("completed");
      expect(await engine.result("ddb-order-1")).toEqual({ status: "paid", ref: "r-7" });
    } finally {
      expect(await run.stop()).toBe(0);
    }
  });
});

describe("spindle console over a config module", () => {
  it("serves the config's store read-only by default", { timeout: 60_000 }, async () => {
    const run = await spawnConsole("src/cli/main.ts", ["console", "--config", FIXTURE_CONFIG, "--port", "0", "--json"]);
    try {
      expect(JSON.parse(run.output())).toEqual({ url: run.url, allowActions: false });
      expect((await (await fetch(`${run.url}api/info`)).json()) as object).toMatchObject({ workflows: ["approval", "flaky", "order"], actions: false });
      const refused = await fetch(`${run.url}api/executions/any/cancel`, { method: "POST", body: "{}" });
      expect(refused.status).toBe(403);
    } finally {
      expect(await run.stop()).toBe(0);
    }
  });

  it("refuses a --port that is not a port with a usage error, exit 2", async () => {
    const run = await cli(["console", "--port", "http", "--config", FIXTURE_CONFIG]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--port must be a whole number from 0 to 65535, got 'http'");
  });
});
