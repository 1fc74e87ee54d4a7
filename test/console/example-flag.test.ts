// `npm run example -- <name> --console`: the runner keeps the example's engine alive after its story ends and serves
// its executions in the console (read-only unless --allow-actions) until it is stopped. Run as a real process.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Starts the runner; resolves with the console's URL once printed, and a stop that ends it and gives its exit code. */
function runExample(args: string[]): Promise<{ url: string; output: () => string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, ["--import", "tsx", "examples/run.ts", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const found = /Spindle console: (http:\/\/\S+)/.exec(output);
      if (found) resolve({ url: found[1]!, output: () => output, stop: () => (child.kill("SIGTERM"), exited) });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    void exited.then((code) => reject(new Error(`the runner exited (${code}) before serving the console:\n${output}`)));
  });
}

describe("npm run example -- <name> --console", () => {
  it("serves the example's executions, read-only by default, and stops cleanly", { timeout: 60_000 }, async () => {
    const run = await runExample(["order", "--console", "--port", "0"]);
    try {
      expect(run.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(run.output()).toContain("read-only; add --allow-actions to act");
      const { executions } = (await (await fetch(`${run.url}api/executions?workflow=order`)).json()) as { executions: { id: string; status: string }[] };
      expect(executions.map((execution) => execution.id).sort()).toEqual(["o-1001", "o-1002", "o-1003"]);
      const view = (await (await fetch(`${run.url}api/executions/o-1001`)).json()) as { history: { type: string }[] };
      expect(view.history.at(-1)?.type).toBe("ExecutionCompleted");
      const refused = await fetch(`${run.url}api/executions/o-1001/cancel`, { method: "POST", body: "{}" });
      expect(refused.status).toBe(403);
    } finally {
      expect(await run.stop()).toBe(0);
    }
  });
});
