// Builds the published package: ESM + CJS + type declarations for every entry point in package.json's exports.
// No source maps unless SPINDLE_SOURCEMAP=1 (a map embeds the sources, doubling what an install downloads), and the
// AWS SDK stays external: it is an optional peer dependency, imported only by spindle/dynamodb. The `spindle` bin
// (dist/cli.js, ESM, its #! line kept from src/cli/main.ts) is built with the library so it shares its chunks: a
// config module's `import "spindle"` and the CLI's engine are then one copy of the code, not two; its CommonJS copy
// is not shipped, and tsx (an optional peer, for .ts configs) stays external.
import { rm } from "node:fs/promises";
import { resolve } from "node:path";
import type { Plugin } from "esbuild";
import { defineConfig } from "tsup";
import { bundleConsolePage } from "./src/console/bundle-page.js";

// The console's page (spindle/console, `spindle console`) is bundled here, once, with esbuild, and put in place of
// src/console/page-source.ts, which in a checkout bundles it on first use: the published package never needs esbuild.
const consolePage: Plugin = {
  name: "spindle-console-page",
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/]console[\\/]page-source\.ts$/ }, async () => {
      const assets = await bundleConsolePage(resolve("src/console/page"));
      return { loader: "ts", contents: `export function pageAssets() { return Promise.resolve(${JSON.stringify(assets)}); }\n` };
    });
  },
};

const library = {
  index: "src/index.ts",
  "store/index": "src/store/index.ts",
  "testing/index": "src/testing/index.ts",
  "dynamodb/index": "adapters/dynamodb/index.ts",
  "lambda/index": "adapters/lambda/index.ts",
  "console/index": "src/console/index.ts",
  "otel/index": "src/telemetry/index.ts",
};

export default defineConfig({
  entry: { ...library, cli: "src/cli/main.ts" },
  format: ["esm", "cjs"],
  // Declarations leave out what is marked @internal: the engine's test hooks, the workflow body's engine-side type.
  dts: { entry: library, compilerOptions: { stripInternal: true } },
  sourcemap: process.env.SPINDLE_SOURCEMAP === "1",
  external: [/^@aws-sdk\//, /^@opentelemetry\//, /^tsx(\/|$)/],
  clean: true,
  target: "node20",
  splitting: true,
  treeshake: true,
  esbuildPlugins: [consolePage],
  onSuccess: () => rm("dist/cli.cjs", { force: true }),
});
