// Helpers of the CLI tests: run the command line in-process with collected output, and the fixture config's path.
import { fileURLToPath } from "node:url";
import { createEngine, silentLogger } from "spindle";
import type { Engine } from "spindle";
import { runCli } from "../../src/cli/run.js";
import { approval, flaky, order, store } from "./fixtures/spindle.config.js";

/** The fixture config module (a MemoryStore and three workflows). */
export const FIXTURE_CONFIG = fileURLToPath(new URL("./fixtures/spindle.config.ts", import.meta.url));

/** What one run of the CLI printed and its exit code. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `spindle <argv>` in-process; `env` replaces the environment (none of the machine's AWS settings leak in). */
export async function cli(argv: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdout: { write: (text: string) => void (stdout += text) },
    stderr: { write: (text: string) => void (stderr += text) },
    cwd: options.cwd ?? fileURLToPath(new URL("./fixtures/", import.meta.url)),
    env: options.env ?? {},
  });
  return { code, stdout, stderr };
}

/** Runs the CLI with the fixture config. */
export function withConfig(...argv: string[]): Promise<CliRun> {
  return cli([...argv, "--config", FIXTURE_CONFIG]);
}

/** An engine over the fixture config's store and workflows, as an application would run it (external mode). */
export function fixtureEngine(): Engine {
  return createEngine({ store, workflows: [order, approval, flaky], mode: "external", logger: silentLogger });
}
