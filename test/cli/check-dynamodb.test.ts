// `spindle check` against DynamoDB Local through flags (--table, --endpoint, --region; credentials from the CLI's
// environment), the build from the config module (its MemoryStore replaced by the flags): exit 0 on the unchanged
// build, exit 1 naming the execution, its first differing operation and both sides on a changed one, children and
// parents each checked on their own history.
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, inject, it } from "vitest";
import type { AnyWorkflow } from "spindle";
import { child, createEngine, silentLogger, step, waitForEvent, workflow } from "spindle";
import { DynamoDBStore } from "spindle/dynamodb";
import type { CheckReport } from "spindle/testing";
import { freshTable, makeClient } from "../dynamodb/helpers.js";
import { build } from "../check/fixtures/spindle.config.js";
import { cli } from "./helpers.js";

const CONFIG = fileURLToPath(new URL("../check/fixtures/spindle.config.ts", import.meta.url));
const ENV = { AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local" };
let table = "";

function checkOnTable(workflows: AnyWorkflow[], ...argv: string[]) {
  build.workflows = workflows;
  const endpoint = inject("dynamodbEndpoint");
  return cli(["check", ...argv, "--table", table, "--endpoint", endpoint, "--region", "us-east-1", "--config", CONFIG], { env: ENV });
}

const label = (name: string) =>
  workflow("label", async function* () {
    yield* step(name, () => name);
    yield* waitForEvent("printed");
    return name;
  });
const shipment = (before?: string) =>
  workflow("shipment", async function* () {
    if (before !== undefined) yield* step(before, () => before);
    return yield* child(label("print"), undefined, { id: "ddb-label-1" });
  });

beforeAll(async () => {
  table = await freshTable("cli-check");
  const recorded = shipment();
  const engine = createEngine({
    store: new DynamoDBStore({ client: makeClient(), tableName: table }),
    workflows: [recorded, label("print")],
    mode: "external",
    logger: silentLogger,
  });
  await engine.start(recorded, undefined, { id: "ddb-shipment-1" });
  await engine.resume("ddb-shipment-1");
  await engine.resume("ddb-label-1");
  expect((await engine.describe("ddb-label-1")).status).toBe("suspended");
  await engine.close();
});

describe("spindle check on a DynamoDB table through flags", () => {
  it("exits 0 when the parent and its child replay on the build", async () => {
    const run = await checkOnTable([shipment(), label("print")]);
    expect(run.code, run.stderr).toBe(0);
    const endpoint = inject("dynamodbEndpoint");
    expect(run.stdout).toBe(`OK: all 2 histories from the store (DynamoDB table '${table}' at ${endpoint}) replay on this build.\n`);
  });

  it("exits 1 naming the child whose code changed, on its own history", async () => {
    const run = await checkOnTable([shipment(), label("render")]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("DIVERGED  ddb-label-1 (label) at operation #0\n  recorded: step 'print'\n  now:      step 'render'\n");
    expect(run.stdout).toMatch(/FAILED: 1 diverged, 1 replayed, of 2 histories/);
  });

  it("exits 1 naming the parent whose code changed, with --json", async () => {
    const run = await checkOnTable([shipment("weigh"), label("print")], "--json");
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as CheckReport;
    expect(report.executions.find((result) => result.status === "diverged")).toMatchObject({
      executionId: "ddb-shipment-1",
      workflow: "shipment",
      opId: "0",
      expected: { kind: "child", name: "label" },
      found: { kind: "step", name: "weigh" },
    });
    expect(report.executions.find((result) => result.executionId === "ddb-label-1")).toMatchObject({ status: "ok" });
  });

  it("checks only the workflow asked for", async () => {
    const run = await checkOnTable([label("render")], "--workflow", "label", "--json");
    expect(JSON.parse(run.stdout)).toMatchObject({ checked: 1, diverged: 1 });
  });
});
