// The shape of a `spindle.config.{ts,mts,js,mjs,cjs}` module and its typing helper. Kept free of imports with effects
// so `spindle` can export `defineConfig` without bringing the CLI (or node:fs) into a workflow's bundle.
import type { EngineOptions } from "../engine/options.js";
import type { HistoryStore } from "../store/history-store.js";
import type { AnyWorkflow } from "../workflow.js";

/**
 * What a `spindle.config.*` module exports (as its default export, or as named exports `store`, `workflows` and
 * `engine`). `store` may be a function, called only when the command line does not replace the store with
 * `--table`; `workflows` are the definitions the commands that run workflow code use (resume, redrive, check, send's
 * payload check).
 *
 * @example
 * ```ts
 * // spindle.config.ts
 * import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
 * import { defineConfig } from "spindle";
 * import { DynamoDBStore } from "spindle/dynamodb";
 * import { order } from "./src/workflows/order.js";
 *
 * export default defineConfig({
 *   store: () => new DynamoDBStore({ client: new DynamoDBClient({ maxAttempts: 1 }), tableName: "orders" }),
 *   workflows: [order],
 * });
 * ```
 */
export interface SpindleConfig {
  /** The store, or a function that makes it (sync or async). Replaced by `--table`/`--region`/`--endpoint`. */
  store?: HistoryStore | (() => HistoryStore | Promise<HistoryStore>);
  /** The workflows the CLI may run or check. */
  workflows?: readonly AnyWorkflow[];
  /**
   * More createEngine options (clock, maxTurnFailures, staleTurnTimeout, ...). The CLI always runs the engine in
   * external mode: it runs a turn only for `resume`.
   */
  engine?: Omit<EngineOptions, "store" | "workflows" | "mode">;
}

/**
 * Types a `spindle.config.*` module; returns its argument unchanged.
 *
 * @example
 * ```ts
 * // spindle.config.ts
 * import { defineConfig, MemoryStore } from "spindle";
 * import { order } from "./workflows.js";
 * export default defineConfig({ store: new MemoryStore(), workflows: [order] });
 * ```
 */
export function defineConfig(config: SpindleConfig): SpindleConfig {
  return config;
}
