// runCli: the whole `spindle` command line as a function of argv and streams, so tests run it in-process and the bin
// (main.ts) is one line. Parses with node:util parseArgs (strict), finds the command in the registry, checks its
// arguments, loads the configuration it needs, runs it, and turns any failure into one line on stderr and an exit code.
import { parseArgs } from "node:util";
import { createEngine } from "../engine/engine.js";
import type { Engine } from "../engine/api.js";
import { silentLogger } from "../engine/log.js";
import { WorkflowNotFoundError } from "../errors.js";
import { COMMANDS, findCommand } from "./commands/index.js";
import type { CliIo, Command, CommandContext, CommandOption, LoadedConfig } from "./commands/types.js";
import type { ConfigHandle } from "./config.js";
import { loadConfig, loadWorkflows } from "./config.js";
import { CliError, errorLine, EXIT, exitCodeOf, usageError } from "./errors.js";
import { commandHelp, mainHelp, usageOf, VERSION } from "./help.js";

/**
 * The options every command takes.
 *
 * @example
 * ```ts
 * Object.keys(GLOBAL_OPTIONS); // ["config", "table", "region", "endpoint", "json", "verbose", "help", "version"]
 * ```
 */
export const GLOBAL_OPTIONS: Readonly<Record<string, CommandOption>> = {
  config: { type: "string", short: "c", value: "path", description: "The config module (default: the first spindle.config.{ts,mts,js,mjs,cjs} from here up)." },
  table: { type: "string", value: "name", description: "Use this DynamoDB table as the store (replaces the config's store)." },
  region: { type: "string", value: "region", description: "The table's AWS region (default: AWS_REGION)." },
  endpoint: { type: "string", value: "url", description: "A DynamoDB endpoint, e.g. DynamoDB Local's http://localhost:8000." },
  json: { type: "boolean", description: "Print machine-readable JSON on stdout, and nothing else." },
  verbose: { type: "boolean", description: "Print the stack of an error." },
  help: { type: "boolean", short: "h", description: "Show help (for a command: spindle <command> --help)." },
  version: { type: "boolean", short: "V", description: "Print the version." },
};

/**
 * Runs the `spindle` command line: `argv` without the node and script paths. Resolves to the exit code (see
 * `EXIT`); never throws and never calls `process.exit`.
 *
 * @example
 * ```ts
 * const code = await runCli(["describe", "order-o-1", "--config", "./spindle.config.ts"]);
 * const out: string[] = [];
 * await runCli(["list", "--json"], { stdout: { write: (text) => out.push(text) } });
 * ```
 */
export async function runCli(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const full: CliIo = {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    cwd: io.cwd ?? process.cwd(),
    env: io.env ?? process.env,
  };
  const verbose = argv.includes("--verbose");
  let command: Command | undefined;
  let handle: ConfigHandle | undefined;
  let engine: Engine | undefined;
  try {
    const name = commandName(argv);
    if (name === undefined || name === "help") {
      const topic = name === "help" ? commandName(argv, 1) : undefined;
      if (topic === undefined || topic === "help") {
        if (name === undefined && (argv.includes("--version") || argv.includes("-V"))) return print(full, VERSION);
        return print(full, mainHelp(COMMANDS, GLOBAL_OPTIONS));
      }
      return print(full, commandHelp(known(topic), GLOBAL_OPTIONS));
    }
    command = known(name);
    const parsed = parse(command, argv);
    if (parsed.values.help === true) return print(full, commandHelp(command, GLOBAL_OPTIONS));
    if (parsed.values.version === true) return print(full, VERSION);
    const flags = {
      config: parsed.values.config as string | undefined,
      table: parsed.values.table as string | undefined,
      region: parsed.values.region as string | undefined,
      endpoint: parsed.values.endpoint as string | undefined,
    };
    const needs = command.needs;
    const label = command.name;
    const config = async (): Promise<LoadedConfig> => {
      handle ??= await loadConfig(flags, full);
      return handle;
    };
    const context: CommandContext = {
      positionals: parsed.positionals,
      values: parsed.values,
      json: parsed.values.json === true,
      verbose,
      io: full,
      print: (text) => void full.stdout.write(`${text}\n`),
      note: (text) => void full.stderr.write(`${text}\n`),
      config,
      workflows: async () => (handle === undefined ? await loadWorkflows(flags, full) : handle),
      engine: async () => {
        if (engine !== undefined) return engine;
        const loaded = await config();
        try {
          engine = createEngine({
            ...(handle?.engine ?? {}),
            store: loaded.store,
            workflows: loaded.workflows,
            mode: "external",
            logger: handle?.engine?.logger ?? silentLogger,
          });
        } catch (error) {
          // Options from the config module (two workflows with one name, a bad number): the config is at fault.
          throw new CliError(`config ${loaded.path ?? loaded.source}: ${(error as Error)?.message ?? String(error)}`, {
            exit: EXIT.unavailable,
            code: "CONFIG",
            cause: error,
          });
        }
        return engine;
      },
    };
    if (needs !== "nothing") {
      const loaded = await config();
      if (needs === "workflows" && loaded.workflows.length === 0) {
        throw new CliError(
          `${label} runs your workflow code, and none is configured: export { workflows } from ` +
            `${loaded.path ?? "a spindle.config.ts (with --config <path> or found from the working directory up)"}.`,
          { exit: EXIT.unavailable, code: "NO_WORKFLOWS" },
        );
      }
    }
    return await command.run(context);
  } catch (error) {
    // The engine's advice names createEngine; the CLI's workflows come from the config module.
    const hint =
      error instanceof WorkflowNotFoundError && handle !== undefined
        ? ` The CLI's workflows come from ${handle.path ?? "a config module"}: add the workflow to its \`workflows\`.`
        : "";
    full.stderr.write(`${errorLine(command?.name, error, hint)}\n`);
    if (verbose && error instanceof Error && error.stack) full.stderr.write(`${error.stack}\n`);
    return exitCodeOf(error);
  } finally {
    await engine?.close().catch(() => {});
    handle?.close();
  }
}

function print(io: CliIo, text: string): number {
  io.stdout.write(`${text}\n`);
  return EXIT.ok;
}

function known(name: string): Command {
  const command = findCommand(name);
  if (command === undefined) {
    throw usageError(`unknown command '${name}'. Commands: ${COMMANDS.map((each) => each.name).join(", ")}. See spindle --help.`);
  }
  return command;
}

/** Every option any command takes, typed, so a first loose pass can tell option values from the command's name. */
function allOptions(): Record<string, CommandOption> {
  const options: Record<string, CommandOption> = { ...GLOBAL_OPTIONS };
  for (const command of COMMANDS) Object.assign(options, command.options ?? {});
  return options;
}

/** The positional at `index` (0: the command's name), read leniently: unknown options do not fail here. */
function commandName(argv: readonly string[], index = 0): string | undefined {
  const { positionals } = parseArgs({ args: [...argv], options: toParseArgs(allOptions()), strict: false, allowPositionals: true });
  return positionals[index];
}

function toParseArgs(options: Record<string, CommandOption>) {
  return Object.fromEntries(
    Object.entries(options).map(([name, option]) => [
      name,
      { type: option.type, ...(option.short === undefined ? {} : { short: option.short }), ...(option.multiple ? { multiple: true } : {}) },
    ]),
  );
}

/** The strict parse for one command: its options and the global ones; positionals checked against its `args`. */
function parse(command: Command, argv: readonly string[]): { positionals: string[]; values: CommandContext["values"] } {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: toParseArgs({ ...GLOBAL_OPTIONS, ...(command.options ?? {}) }),
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw usageError(`${parseProblem(error as Error & { code?: string })} See spindle ${command.name} --help.`);
  }
  const positionals = [...parsed.positionals];
  positionals.splice(positionals.indexOf(command.name), 1);
  const values = parsed.values as CommandContext["values"];
  if (values.help === true) return { positionals, values };
  const args = command.args ?? [];
  const required = args.filter((arg) => arg.required !== false);
  if (positionals.length < required.length) {
    const missing = required.slice(positionals.length).map((arg) => `<${arg.name}>`).join(" ");
    throw usageError(`missing ${missing}. Usage: ${usageOf(command)}`);
  }
  if (!command.variadic && positionals.length > args.length) {
    throw usageError(`unexpected argument '${positionals[args.length]}'. Usage: ${usageOf(command)}`);
  }
  return { positionals, values };
}

/** parseArgs's complaint as one sentence ending in a period (its own run on, or end without one). */
function parseProblem(error: Error & { code?: string }): string {
  const first = error.message.split("\n")[0]!;
  if (error.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const option = /'([^']+)'/.exec(first)?.[1];
    if (option !== undefined) return `unknown option '${option}' (an argument that starts with '-' goes after '--').`;
  }
  const missing = /^Option '(?:-\w, )?([^' ,]+)(?: <value>)?' argument missing/.exec(first);
  if (missing !== null) return `option '${missing[1]}' needs a value.`;
  return /[.!?]$/.test(first) ? first : `${first}.`;
}
