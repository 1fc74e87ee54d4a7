// Tests import the package by its public names ("spindle", "spindle/testing"), resolved to the sources.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const from = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^spindle\/testing$/, replacement: from("./src/testing/index.ts") },
      { find: /^spindle$/, replacement: from("./src/index.ts") },
    ],
  },
  test: {
    include: ["test/**/*.test.ts", "examples/**/*.test.ts"],
    testTimeout: 20_000,
  },
});
