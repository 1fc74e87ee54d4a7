// Bundles a snippet the way a Lambda entry is bundled (esbuild, minified, ESM for Node), with Spindle's entry points
// resolved to this repository's sources and zod, the AWS SDK and ulid left external, so a test can read what the
// bundle imports.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The minified bundle of `source` (TypeScript, importing spindle's entry points), as text. */
export async function bundleEntry(source: string): Promise<string> {
  const result = await build({
    stdin: { contents: source, resolveDir: ROOT, loader: "ts" },
    bundle: true,
    write: false,
    minify: true,
    platform: "node",
    format: "esm",
    external: ["zod", "zod/*", "@aws-sdk/*", "ulid"],
    alias: {
      spindle: `${ROOT}src/index.ts`,
      "spindle/store": `${ROOT}src/store/index.ts`,
      "spindle/dynamodb": `${ROOT}adapters/dynamodb/index.ts`,
      "spindle/lambda": `${ROOT}adapters/lambda/index.ts`,
    },
    logLevel: "error",
  });
  return result.outputFiles[0]!.text;
}

/**
 * A Lambda entry as users write one: an engine (one workflow, `hello`) on a DynamoDBStore behind createLambdaHandler,
 * for tests that check what such a bundle carries.
 */
export const LAMBDA_HANDLER = `
  import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
  import { createEngine, step, workflow } from "spindle";
  import { DynamoDBStore } from "spindle/dynamodb";
  import { createLambdaHandler } from "spindle/lambda";
  const hello = workflow("hello", async function* () { return yield* step("greet", () => "hi"); });
  const store = new DynamoDBStore({ client: new DynamoDBClient({}), tableName: "spindle" });
  export const handler = createLambdaHandler(createEngine({ store, workflows: [hello], mode: "external" }));
`;
