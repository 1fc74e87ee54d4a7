// `npm run example -- <name> --console`: the runner keeps the example's engine alive after its story ends and serves
// its executions in the console (read-only unless --allow-actions) until it is stopped. Run as a real process.
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { spawnConsole } from "./spawn.js";

describe("npm run example -- <name> --console", () => {
  it("serves the example's executions, read-only by default, and stops cleanly", { timeout: 60_000 }, async () => {
    const run = await spawnConsole("examples/run.ts", ["order", "--console", "--port", "0"]);
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

  it.runIf(process.platform === "linux")("--open hands the URL to the desktop's opener (xdg-open)", { timeout: 60_000 }, async () => {
    // A stand-in xdg-open first on the PATH, which writes down what it was asked to open.
    const bin = mkdtempSync(join(tmpdir(), "spindle-open-"));
    const opened = join(bin, "opened.txt");
    writeFileSync(join(bin, "xdg-open"), `#!/bin/sh\nprintf '%s' "$1" > '${opened}'\n`);
    chmodSync(join(bin, "xdg-open"), 0o755);
    const run = await spawnConsole("examples/run.ts", ["order", "--console", "--port", "0", "--open"], { PATH: `${bin}:${process.env.PATH ?? ""}` });
    try {
      for (let waited = 0; !existsSync(opened) && waited < 10_000; waited += 100) await sleep(100);
      expect(readFileSync(opened, "utf8")).toBe(run.url);
    } finally {
      expect(await run.stop()).toBe(0);
    }
  });
});
