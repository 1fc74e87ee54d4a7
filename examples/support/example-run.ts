// What an example's main() may hand back to the runner (examples/run.ts): the engine it ran on and its workflows,
// so `npm run example -- <name> --console` can keep that engine alive and serve its executions in the console.
import type { AnyWorkflow, Engine } from "../../src/index.js";

/**
 * The engine an example ran on, with its workflows (for the console's event and callback forms).
 *
 * @example
 * ```ts
 * export async function main(): Promise<ExampleRun> {
 *   const t = createTestEngine({ workflows: [order] });
 *   // ...
 *   return { engine: t.engine, workflows: [order] };
 * }
 * ```
 */
export interface ExampleRun {
  engine: Engine;
  workflows: readonly AnyWorkflow[];
}
