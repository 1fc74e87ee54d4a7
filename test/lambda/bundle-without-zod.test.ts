// A Lambda entry loads no zod: a handler (engine + DynamoDBStore + createLambdaHandler), bundled the way `sam build`
// does (esbuild, minified, zod left external), requires nothing from zod, because spindle/lambda checks events by hand
// (events.ts). The public zod schemas of spindle/lambda stay available, and a bundle that uses one carries zod.
import { describe, expect, it } from "vitest";
import { bundleEntry as bundle, LAMBDA_HANDLER as HANDLER } from "../bundle.js";

describe("a Lambda handler bundles without zod", () => {
  it("an engine on a DynamoDBStore behind createLambdaHandler imports nothing from zod", async () => {
    const code = await bundle(HANDLER);
    expect(/from\s*"zod/.test(code), "the bundle imports zod").toBe(false);
    expect(code.includes("must use payload format version 2.0"), "the handler's checks are in the bundle").toBe(true);
    expect(code.includes("ExecutionStarted"), "the engine is in the bundle").toBe(true);
  });

  it("the check can fail: a handler that uses spindle/lambda's public schema imports zod", async () => {
    const code = await bundle(`${HANDLER}\nimport { directInvocationSchema } from "spindle/lambda";\nexport const schema = directInvocationSchema;`);
    expect(/from\s*"zod"/.test(code), "the bundle imports zod").toBe(true);
  });
});
