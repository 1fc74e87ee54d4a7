// The command line itself: help and version, usage errors (exit 2), where the config module is found and what it must
// export (exit 4), commands that need workflow code when none is configured, and one-line errors with a stack only
// under --verbose.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT } from "../../src/cli/errors.js";
import { COMMANDS } from "../../src/cli/commands/index.js";
import { GLOBAL_OPTIONS } from "../../src/cli/run.js";
import packageJson from "../../package.json" with { type: "json" };
import { cli, withConfig } from "./helpers.js";

const root = mkdtempSync(join(tmpdir(), "spindle-cli-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Writes a file under the temporary root and returns its path. */
function file(path: string, text: string): string {
  const full = join(root, path);
  mkdirSync(join(full, ".."), { recursive: true });
  writeFileSync(full, text);
  return full;
}

const MEMORY_CONFIG = `
import { MemoryStore } from "spindle";
export const store = new MemoryStore();
`;

describe("help and version", () => {
  it("--help, help and no arguments list every command and the exit codes, on stdout with exit 0", async () => {
    for (const argv of [["--help"], ["-h"], ["help"], ["help", "help"], []]) {
      const run = await cli(argv);
      expect(run.code).toBe(0);
      expect(run.stderr).toBe("");
      for (const command of COMMANDS) expect(run.stdout).toMatch(new RegExp(`^  ${command.name}\\s+\\S`, "m"));
      expect(run.stdout).toMatch(/Exit codes: 0 ok, 1 refused or failed .* 2 usage or invalid input,\n3 not found, 4 store, config or package unavailable/);
    }
  });

  it("<command> --help and help <command> show its usage, arguments and options without loading any config", async () => {
    for (const argv of [["send", "--help"], ["help", "send"], ["send", "-h", "--table", "t"]]) {
      const run = await cli(argv, { cwd: root });
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Usage: spindle send <id> <event> \[payload\] \[--key <key>\] \[--json\]\n/);
      expect(run.stdout).toMatch(/^  <payload>\s+The payload, JSON\. Default: none\.$/m);
      expect(run.stdout).toMatch(/^  -k, --key <key>\s+Idempotency key/m);
    }
  });

  it("a usage line marks a repeatable option with ... and names --json", async () => {
    const run = await cli(["check", "--help"], { cwd: root });
    expect(run.stdout.split("\n")[0]).toBe("Usage: spindle check [--from <folder>] [--workflow <name>] [--status <status>...] [--json]");
    expect((await cli(["list", "--help"], { cwd: root })).stdout).toMatch(/^Usage: spindle list .*\[--status <status>\.\.\.\]/);
  });

  it("--version prints the package's version", async () => {
    for (const argv of [["--version"], ["-V"], ["list", "--version"]]) {
      expect(await cli(argv, { cwd: root })).toEqual({ code: 0, stdout: `${packageJson.version}\n`, stderr: "" });
    }
  });
});

describe("the command registry", () => {
  it("holds options that parse the same in every command: none repeats a global option, a shared name has one type", () => {
    const types = new Map(Object.entries(GLOBAL_OPTIONS).map(([name, option]) => [name, option.type]));
    const shorts = new Map(Object.entries(GLOBAL_OPTIONS).flatMap(([name, option]) => (option.short ? [[option.short, name]] : [])));
    const names = new Set<string>();
    for (const command of COMMANDS) {
      expect(names.has(command.name), `two commands named ${command.name}`).toBe(false);
      names.add(command.name);
      for (const [name, option] of Object.entries(command.options ?? {})) {
        expect(Object.hasOwn(GLOBAL_OPTIONS, name), `${command.name} --${name} repeats a global option`).toBe(false);
        expect(types.get(name) ?? option.type, `--${name} has two types`).toBe(option.type);
        types.set(name, option.type);
        if (option.short !== undefined) {
          expect(shorts.get(option.short) ?? name, `-${option.short} means two options`).toBe(name);
          shorts.set(option.short, name);
        }
      }
    }
  });
});

describe("usage errors: exit 2, one line on stderr, nothing on stdout", () => {
  it.each([
    [["frobnicate"], /^spindle: unknown command 'frobnicate'\. Commands: list, describe, .* See spindle --help\. \(USAGE\)$/],
    [["help", "frobnicate"], /^spindle: unknown command 'frobnicate'/],
    [["describe"], /^spindle describe: missing <id>\. Usage: spindle describe <id> \(USAGE\)$/],
    [["send", "order-1"], /^spindle send: missing <event>\. Usage: spindle send <id> <event> \[payload\]/],
    [["describe", "a", "b"], /^spindle describe: unexpected argument 'b'\. Usage: spindle describe <id> \(USAGE\)$/],
    [["describe", "a", "--limit", "3"], /^spindle describe: unknown option '--limit' \(an argument that starts with '-' goes after '--'\)\. See spindle describe --help\. \(USAGE\)$/],
    [["list", "--bogus"], /^spindle list: unknown option '--bogus' \(an argument that starts with '-' goes after '--'\)\. See spindle list --help\. \(USAGE\)$/],
    [["list", "--table"], /^spindle list: option '--table' needs a value\. See spindle list --help\. \(USAGE\)$/],
    [["list", "--limit"], /^spindle list: option '--limit' needs a value\. See spindle list --help\. \(USAGE\)$/],
    [["list", "--json=1"], /^spindle list: Option '--json' does not take an argument\. See spindle list --help\. \(USAGE\)$/],
    [["list", "--endpoint", "http://localhost:8000"], /^spindle list: --region and --endpoint configure a DynamoDB table: add --table <name>\. \(USAGE\)$/],
    [["list", "--table", "orders", "--region", "us-east-1", "--endpoint", "notaurl"], /^spindle list: --endpoint notaurl: not an http\(s\) URL\. .*--endpoint http:\/\/localhost:8000 .*\(USAGE\)$/],
    [["list", "--table", "orders", "--region", "us-east-1", "--endpoint", "localhost:8000"], /^spindle list: --endpoint localhost:8000: not an http\(s\) URL\./],
    [["list", "--table", "orders"], /^spindle list: --table orders: no region: pass --region <region> or set AWS_REGION\. \(USAGE\)$/],
  ])("%j", async (argv, message) => {
    const run = await cli(argv, { cwd: root });
    expect(run.code).toBe(EXIT.usage);
    expect(run.stdout).toBe("");
    expect(run.stderr.endsWith("\n")).toBe(true);
    expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(run.stderr.trimEnd()).toMatch(message);
  });
});

describe("finding the config module", () => {
  it("searches from the working directory up, and stops at the repository root (.git)", async () => {
    file("outside/spindle.config.mjs", MEMORY_CONFIG);
    file("outside/repo/.git/HEAD", "ref: refs/heads/main\n");
    mkdirSync(join(root, "outside/repo/a/b"), { recursive: true });
    const above = await cli(["list"], { cwd: join(root, "outside/repo/a/b") });
    expect(above.code).toBe(EXIT.unavailable);
    expect(above.stderr).toMatch(/^spindle list: no store configured: pass --table <name> .* or write a spindle\.config\.ts exporting \{ store, workflows \} \(none found from .*outside\/repo\/a\/b up\)\. \(CONFIG\)\n$/);
    file("outside/repo/spindle.config.mjs", MEMORY_CONFIG);
    const found = await cli(["list", "--json"], { cwd: join(root, "outside/repo/a/b") });
    expect(found.code).toBe(0);
    expect(JSON.parse(found.stdout).executions).toEqual([]);
  });

  it("takes the first of spindle.config.ts, .mts, .js, .mjs, .cjs in a directory", async () => {
    file("order/spindle.config.mjs", `export default { get store() { throw new Error("the .mjs was loaded"); } };`);
    file("order/spindle.config.js", MEMORY_CONFIG);
    file("order/package.json", `{ "type": "module" }`);
    expect((await cli(["list"], { cwd: join(root, "order") })).code).toBe(0);
  });

  it("--config is relative to the working directory and must exist", async () => {
    file("explicit/custom.mjs", MEMORY_CONFIG);
    expect((await cli(["list", "--config", "explicit/custom.mjs"], { cwd: root })).code).toBe(0);
    const missing = await cli(["list", "--config", "explicit/nope.mjs"], { cwd: root });
    expect(missing.code).toBe(EXIT.unavailable);
    expect(missing.stderr).toMatch(/^spindle list: --config explicit\/nope\.mjs: no such file \(looked for .*explicit\/nope\.mjs\)\. \(CONFIG\)\n$/);
    const directory = await cli(["list", "-c", "explicit"], { cwd: root });
    expect(directory.code).toBe(EXIT.unavailable);
    expect(directory.stderr).toMatch(/^spindle list: --config explicit: .*explicit is a directory, not a config module: pass the module's file, e\.g\. explicit\/spindle\.config\.ts\. \(CONFIG\)\n$/);
  });

  it("accepts a default export, a function default export and named exports; store may be a function", async () => {
    for (const [name, text] of [
      ["default.mjs", `import { MemoryStore } from "spindle"; export default { store: new MemoryStore() };`],
      ["function.mjs", `import { MemoryStore } from "spindle"; export default async () => ({ store: new MemoryStore() });`],
      ["lazy.mjs", `import { MemoryStore } from "spindle"; export const store = () => new MemoryStore();`],
    ]) {
      const run = await cli(["list", "--json", "--config", file(`shapes/${name}`, text!)], { cwd: root });
      expect(run.code, run.stderr).toBe(0);
    }
  });

  it("refuses a module that exports no store or the wrong things, naming the module and what to export (exit 4)", async () => {
    for (const [name, text, message] of [
      ["empty.mjs", "export const nothing = 1;", /exports no store: export \{ store, workflows \}, or pass --table <name>\./],
      ["number.mjs", "export default 42;", /exports number; export an object \{ store, workflows \}/],
      ["store.mjs", "export const store = { tables: 1 };", /`store` must be a HistoryStore/],
      ["workflows.mjs", `${MEMORY_CONFIG} export const workflows = [{ name: "x" }];`, /`workflows\[0\]` is not a workflow\(\) definition\./],
      ["syntax.mjs", "export const = ;", /could not be loaded: /],
      ["throws.mjs", "throw new Error('no credentials here');", /could not be loaded: no credentials here/],
      ["function-throws.mjs", "export default () => { throw new Error('inner'); };", /: its default export function threw: inner \(CONFIG\)\n$/],
      ["store-throws.mjs", "export const store = async () => { throw new Error('inner'); };", /: its `store` function threw: inner \(CONFIG\)\n$/],
      ["engine.mjs", `${MEMORY_CONFIG} export const engine = { maxTurnFailures: 0 };`, /createEngine: maxTurnFailures must be a whole number of at least 1, got 0\./],
    ] as const) {
      const path = file(`bad/${name}`, text);
      const run = await cli(["list", "--config", path], { cwd: root });
      expect(run.code).toBe(EXIT.unavailable);
      expect(run.stderr.startsWith(`spindle list: config ${path}`) || run.stderr.startsWith(`spindle list: ${path}`)).toBe(true);
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
    }
  });

  it("says in one line that a command needs workflow code when the config has none (exit 4)", async () => {
    const path = file("noworkflows/spindle.config.mjs", MEMORY_CONFIG);
    for (const argv of [["send", "o-1", "paid", "{}"], ["complete", "token", "{}"], ["resume", "o-1"]]) {
      const run = await cli(argv, { cwd: join(root, "noworkflows") });
      expect(run.code).toBe(EXIT.unavailable);
      expect(run.stderr).toBe(
        `spindle ${argv[0]}: ${argv[0]} runs your workflow code, and none is configured: export { workflows } from ${path}. (NO_WORKFLOWS)\n`,
      );
    }
    // Commands that need only the store run.
    expect((await cli(["describe", "o-1"], { cwd: join(root, "noworkflows") })).code).toBe(EXIT.notFound);
  });
});

describe("what the config module passes on", () => {
  it("engine options reach the CLI's engine: with maxTurnFailures 1, one failed resume leaves the execution stuck", async () => {
    const path = file(
      "engine-options/spindle.config.mjs",
      `import { createEngine, MemoryStore, silentLogger, step, waitForEvent, workflow } from "spindle";
      const v1 = workflow("order", async function* () { yield* step("reserve", () => 1); yield* waitForEvent("paid"); });
      const v2 = workflow("order", async function* () { yield* step("reserve-v2", () => 1); yield* waitForEvent("paid"); });
      const store = new MemoryStore();
      const deployed = createEngine({ store, workflows: [v1], mode: "external", logger: silentLogger });
      await deployed.start(v1, undefined, { id: "order-1" });
      await deployed.resume("order-1");
      await deployed.sendEvent("order-1", "paid");
      export default { store, workflows: [v2], engine: { maxTurnFailures: 1 } };`,
    );
    const resume = await cli(["resume", "order-1", "--config", path], { cwd: root });
    expect(resume.code).toBe(EXIT.refused);
    expect(resume.stderr).toMatch(/\(NON_DETERMINISM\)\n$/);
    expect(JSON.parse((await cli(["describe", "order-1", "--json", "--config", path], { cwd: root })).stdout).status).toBe("stuck");
    // A stuck execution runs no turn until redriven: resume says so and exits 1.
    const stuck = await cli(["resume", "order-1", "--config", path], { cwd: root });
    expect(stuck.code).toBe(EXIT.refused);
    expect(stuck.stdout).toBe("");
    expect(stuck.stderr).toMatch(/^spindle resume: order-1 is stuck \(1 failed turn: .*\); no turn ran\. Fix the cause, then run spindle redrive order-1 first, and resume it again\.\n$/);
  });

  it("an execution of a workflow the config does not list: exit 4, and where the CLI's workflows come from", async () => {
    const path = file(
      "other-workflows/spindle.config.mjs",
      `import { createEngine, MemoryStore, silentLogger, waitForEvent, workflow } from "spindle";
      const order = workflow("order", async function* () { yield* waitForEvent("paid"); });
      const invoice = workflow("invoice", async function* () { yield* waitForEvent("paid"); });
      const store = new MemoryStore();
      await createEngine({ store, workflows: [order], mode: "external", logger: silentLogger }).start(order, undefined, { id: "order-1" });
      export default { store, workflows: [invoice] };`,
    );
    const run = await cli(["send", "order-1", "paid", "--config", path], { cwd: root });
    expect(run.code).toBe(EXIT.unavailable);
    expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/Workflow 'order' .* The CLI's workflows come from .*other-workflows\/spindle\.config\.mjs: add the workflow to its `workflows`\. \(WORKFLOW_NOT_FOUND\)\n$/);
  });

  it("the summary counts up to 1,000 and says when a figure is a lower bound", async () => {
    const path = file(
      "many/spindle.config.mjs",
      `import { createEngine, MemoryStore, silentLogger, step, workflow } from "spindle";
      const job = workflow("job", async function* () { yield* step("run", () => 1); });
      const store = new MemoryStore();
      const engine = createEngine({ store, workflows: [job], mode: "external", logger: silentLogger });
      for (let n = 0; n < 1001; n++) await engine.start(job, undefined, { id: \`job-\${n}\` });
      export default { store, workflows: [job] };`,
    );
    const json = JSON.parse((await cli(["list", "--limit", "1", "--json", "--config", path], { cwd: root })).stdout);
    expect(json.summary).toEqual({ StuckExecutions: 0, DueBacklog: 1000, capped: true });
    const text = await cli(["list", "--limit", "1", "--config", path], { cwd: root });
    expect(text.stdout.trimEnd().split("\n").at(-1)).toBe("StuckExecutions 0  DueBacklog 1000+");
  });
});

describe("errors", () => {
  it("are one line; --verbose adds the stack", async () => {
    const plain = await withConfig("describe", "missing-1");
    expect(plain.stderr.trimEnd().split("\n")).toHaveLength(1);
    const verbose = await withConfig("describe", "missing-1", "--verbose");
    expect(verbose.code).toBe(EXIT.notFound);
    expect(verbose.stderr.split("\n")[0]).toBe(plain.stderr.trimEnd());
    expect(verbose.stderr).toMatch(/\n\s+at /);
  });
});
