// The built bin as users run it: `node dist/cli.js` in a child process, with a plain .js config (and a .ts one, which
// Node 20 cannot load by itself: the CLI goes through tsx). Proves the #! entry, that the config's `spindle` is the
// CLI's own module (a turn runs the config's workflow), exit codes, and errors as one line without a stack.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
const config = fileURLToPath(new URL("./fixtures/bin/spindle.config.mjs", import.meta.url));

function spindle(...argv: string[]): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [bin, ...argv], {
    cwd: root,
    encoding: "utf8",
    env: { PATH: process.env.PATH, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    timeout: 60_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

beforeAll(() => {
  // CI builds before testing; build here only when dist/cli.js is missing (a fresh checkout).
  if (!existsSync(bin)) {
    const build = spawnSync("npm", ["run", "build"], { cwd: root, encoding: "utf8" });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
  }
}, 300_000);

describe("node dist/cli.js", () => {
  it("starts with #!/usr/bin/env node and prints help and the version", () => {
    expect(readFileSync(bin, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    const help = spindle("--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^spindle \d+\.\d+\.\d+: inspect and operate Spindle executions in a store\./);
    expect(spindle("--version").stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it("reads a .js config and runs the commands over its store and workflows", () => {
    const list = spindle("list", "--config", config);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^order-o-1\s+order\s+suspended\s/m);
    expect(list.stdout).toMatch(/^StuckExecutions 0 {2}DueBacklog 0$/m);
    const describe = spindle("describe", "order-o-1", "--json", "--config", config);
    expect(JSON.parse(describe.stdout)).toMatchObject({ id: "order-o-1", status: "suspended", waitingFor: [{ kind: "event", name: "paid" }] });
    // Each run is a new process with a fresh MemoryStore, so the turn is resumed in the same run as the send would be:
    // here a resume proves the config's workflow runs on the CLI's engine (one module, not a copy).
    const resume = spindle("resume", "order-o-1", "--config", config);
    expect(resume.code, resume.stderr).toBe(0);
    expect(resume.stdout).toBe("order-o-1 is suspended (0 events appended; waits for event 'paid')\n");
  });

  it("exits with the documented codes and one line on stderr, a stack only with --verbose", () => {
    const missing = spindle("describe", "nope", "--config", config);
    expect(missing.code).toBe(3);
    expect(missing.stdout).toBe("");
    expect(missing.stderr).toMatch(/^spindle describe: .*'nope'.* \(EXECUTION_NOT_FOUND\)\n$/);
    const usage = spindle("describe");
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe("spindle describe: missing <id>. Usage: spindle describe <id> (USAGE)\n");
    const badJson = spindle("send", "order-o-1", "paid", "{ref:1}", "--config", config);
    expect(badJson.code).toBe(2);
    expect(badJson.stderr.trimEnd().split("\n")).toHaveLength(1);
    const unavailable = spindle("list", "--config", "no-such.config.mjs");
    expect(unavailable.code).toBe(4);
    expect(unavailable.stderr.trimEnd().split("\n")).toHaveLength(1);
    const verbose = spindle("describe", "nope", "--config", config, "--verbose");
    expect(verbose.stderr).toMatch(/\n\s+at /);
  });

  it("reads a CommonJS config, and runs its workflow though it comes from the package's CommonJS build", () => {
    const commonjs = fileURLToPath(new URL("./fixtures/bin/commonjs.config.cjs", import.meta.url));
    const resume = spindle("resume", "greet-1", "--json", "--config", commonjs);
    expect(resume.code, resume.stderr).toBe(0);
    expect(JSON.parse(resume.stdout)).toMatchObject({ executionId: "greet-1", status: "completed", appended: 2 });
  });

  it("loads a spindle.config.ts through tsx on a Node that cannot strip types", () => {
    const run = spindle("list", "--json", "--config", fileURLToPath(new URL("./fixtures/spindle.config.ts", import.meta.url)));
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ executions: [], summary: { StuckExecutions: 0, DueBacklog: 0, capped: false } });
  });
});
