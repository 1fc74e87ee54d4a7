// The engine and the DynamoDB store load without zod: bundled the way a Lambda entry is (esbuild, zod left
// external), nothing in them requires zod, so a handler does not pay for zod's load or for schemas it never uses
// (B10). The public zod schemas of spindle/store stay available to whoever imports them.
import { describe, expect, it } from "vitest";
import { bundleEntry as bundle } from "../bundle.js";

describe("bundles without zod", () => {
  it("an engine on a DynamoDBStore, with a workflow, imports nothing from zod", async () => {
    const code = await bundle(`
      import { createEngine, step, workflow, MemoryStore } from "spindle";
      import { DynamoDBStore } from "spindle/dynamodb";
      const w = workflow("w", async function* () { return yield* step("s", () => 1); });
      export const engines = [createEngine({ store: new MemoryStore(), workflows: [w] }), DynamoDBStore];
    `);
    expect(code).not.toMatch(/from\s*"zod/);
    expect(code).toContain("ExecutionStarted"); // the engine is in the bundle
  });

  it("the check can fail: the public history schemas do import zod", async () => {
    const code = await bundle(`export { historyEventSchema } from "spindle/store";`);
    expect(code).toMatch(/from\s*"zod"/);
  });
});
