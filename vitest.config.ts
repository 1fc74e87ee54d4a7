// Tests import the package by its public names ("spindle", "spindle/store", "spindle/testing", ...), resolved to the
// sources. The global setup starts DynamoDB Local (Java) for the tests in test/dynamodb.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const from = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^spindle\/store$/, replacement: from("./src/store/index.ts") },
      { find: /^spindle\/testing$/, replacement: from("./src/testing/index.ts") },
      { find: /^spindle\/dynamodb$/, replacement: from("./adapters/dynamodb/index.ts") },
      { find: /^spindle\/lambda$/, replacement: from("./adapters/lambda/index.ts") },
      { find: /^spindle\/otel$/, replacement: from("./src/telemetry/index.ts") },
      { find: /^spindle$/, replacement: from("./src/index.ts") },
    ],
  },
  test: {
    include: ["test/**/*.test.ts", "examples/**/*.test.ts"],
    testTimeout: 20_000,
    globalSetup: ["test/dynamodb/global-setup.ts"],
    // The AWS SDK warns once per process that its 2027 releases will need Node 22; not news for a test run.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});
