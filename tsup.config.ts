// Builds the published package: ESM + CJS + type declarations for every entry point in package.json's exports.
// No source maps unless SPINDLE_SOURCEMAP=1 (a map embeds the sources, doubling what an install downloads), and the
// AWS SDK stays external: it is an optional peer dependency, imported only by spindle/dynamodb.
import { defineConfig } from "tsup";

export default defineConfig({
  entry: {
    index: "src/index.ts",
    "store/index": "src/store/index.ts",
    "testing/index": "src/testing/index.ts",
    "dynamodb/index": "adapters/dynamodb/index.ts",
    "lambda/index": "adapters/lambda/index.ts",
  },
  format: ["esm", "cjs"],
  // Declarations leave out what is marked @internal: the engine's test hooks, the workflow body's engine-side type.
  dts: { compilerOptions: { stripInternal: true } },
  sourcemap: process.env.SPINDLE_SOURCEMAP === "1",
  external: [/^@aws-sdk\//],
  clean: true,
  target: "node20",
  splitting: true,
  treeshake: true,
});
