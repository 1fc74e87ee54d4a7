// The contract between the `spindle` command line and its commands: what a command declares (name, arguments,
// options, what it needs) and what it gets when it runs (parsed arguments, output streams, the configured store,
// workflows and engine). run.ts parses and dispatches; each command lives in its own file under commands/ and is
// listed once in commands/index.ts.
import type { Engine } from "../../engine/api.js";
import type { HistoryStore } from "../../store/history-store.js";
import type { AnyWorkflow } from "../../workflow.js";

/**
 * A writable text stream: `process.stdout`, `process.stderr`, or a test's collector.
 *
 * @example
 * ```ts
 * const lines: string[] = [];
 * const stream: CliStream = { write: (text) => void lines.push(text) };
 * ```
 */
export interface CliStream {
  write(text: string): unknown;
  /** True on a terminal: progress bars and colours only then. */
  isTTY?: boolean;
  /** The terminal's width in characters, when it is one. */
  columns?: number;
}

/**
 * Where the CLI reads and writes: the process's streams, working directory and environment, or a test's.
 *
 * @example
 * ```ts
 * const io: CliIo = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env };
 * ```
 */
export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
  /** Where the config search starts and relative paths are resolved from. */
  cwd: string;
  env: Record<string, string | undefined>;
}

/**
 * One option of a command, as `node:util` `parseArgs` takes it, plus the help text.
 *
 * @example
 * ```ts
 * const limit: CommandOption = { type: "string", value: "n", description: "Rows per page (default 50)." };
 * ```
 */
export interface CommandOption {
  type: "string" | "boolean";
  /** One-letter alias. */
  short?: string;
  /** Accept the option more than once (its value is then an array). */
  multiple?: boolean;
  /** The value's placeholder in help (`--limit <n>`); string options only. */
  value?: string;
  description: string;
}

/**
 * One positional argument of a command, for usage checks and help.
 *
 * @example
 * ```ts
 * const id: CommandArgument = { name: "id", description: "The execution id." };
 * ```
 */
export interface CommandArgument {
  name: string;
  description: string;
  /** Default true. An optional argument may only be followed by optional ones. */
  required?: boolean;
}

/**
 * What a command needs before it runs. `"nothing"`: no configuration (help). `"store"`: a store, from flags or the
 * config (workflows optional). `"workflows"`: a store and the workflow code from a config module — the CLI refuses
 * in one line, exit 4, when no workflows are configured. A command that finds its own inputs (e.g. `check` over a
 * folder of exports) declares `"nothing"` and calls `context.config()` itself.
 *
 * @example
 * ```ts
 * const needs: CommandNeeds = "workflows";
 * ```
 */
export type CommandNeeds = "nothing" | "store" | "workflows";

/**
 * The configuration a command runs with: a store from flags or the config module, and the config's workflows.
 *
 * @example
 * ```ts
 * const { store, workflows, source } = await context.config();
 * ```
 */
export interface LoadedConfig {
  store: HistoryStore;
  workflows: readonly AnyWorkflow[];
  /** The config module's absolute path, when one was loaded. */
  path?: string;
  /** How the store was configured, for messages: `flags (table 't' in us-east-1)` or the config path. */
  source: string;
}

/**
 * What a running command gets.
 *
 * @example
 * ```ts
 * async run(context) {
 *   const [id] = context.positionals;
 *   const description = await (await context.engine()).describe(id!);
 *   context.print(context.json ? JSON.stringify(description) : description.status);
 *   return EXIT.ok;
 * }
 * ```
 */
export interface CommandContext {
  /** The command's positional arguments (after its name), already checked against `Command.args`. */
  positionals: string[];
  /** Parsed options: global ones (`json`, `verbose`, `config`, `table`, `region`, `endpoint`) and the command's. */
  values: Record<string, string | boolean | string[] | undefined>;
  /** `--json`: machine JSON only on stdout. */
  json: boolean;
  /** `--verbose`: stacks with errors, more detail. */
  verbose: boolean;
  io: CliIo;
  /** Writes `text` and a newline to stdout. */
  print(text: string): void;
  /** Writes `text` and a newline to stderr (notes, warnings, progress): never mixed into `--json` output. */
  note(text: string): void;
  /** The store and workflows (loaded once, on first call). @throws CliError (exit 4) when none is configured. */
  config(): Promise<LoadedConfig>;
  /**
   * The config module's workflows alone (loaded once), for a command that reads no store (`check --from`): a
   * config without a store is enough. With no config module, no workflows.
   */
  workflows(): Promise<{ workflows: readonly AnyWorkflow[]; path?: string }>;
  /**
   * An engine over the configured store and workflows, in external mode with a silent logger (loaded once): it runs
   * a turn only when the command resumes one.
   */
  engine(): Promise<Engine>;
}

/**
 * One `spindle` command. Add a file under src/cli/commands exporting a Command (or a few related ones) and list it
 * once in commands/index.ts; run.ts does the parsing (`node:util` `parseArgs`, strict), usage checks, `--help`,
 * configuration loading and error reporting.
 *
 * @example
 * ```ts
 * export const describeCommand: Command = {
 *   name: "describe",
 *   summary: "Status, result or error, and what an execution waits for.",
 *   args: [{ name: "id", description: "The execution id." }],
 *   needs: "store",
 *   async run(context) {
 *     const description = await (await context.engine()).describe(context.positionals[0]!);
 *     context.print(JSON.stringify(description, null, 2));
 *     return EXIT.ok;
 *   },
 * };
 * ```
 */
export interface Command {
  /** The word after `spindle`. */
  name: string;
  /** One line for `spindle --help`. */
  summary: string;
  /** More help for `spindle <name> --help`: paragraphs, examples. */
  details?: string;
  /** Positional arguments, in order. */
  args?: readonly CommandArgument[];
  /** Accept any number of positional arguments past `args` (e.g. a list of ids). */
  variadic?: boolean;
  /**
   * The command's own options (global ones are added by the CLI). Names must not repeat a global option, and a name
   * another command also uses must have the same type there (the CLI finds the command's name in a first pass over
   * every command's options); a test in test/cli/cli-usage.test.ts holds every registered command to this.
   */
  options?: Readonly<Record<string, CommandOption>>;
  needs: CommandNeeds;
  /** Runs the command; resolves to the exit code (see `EXIT`). Throw a CliError or any Spindle error to fail. */
  run(context: CommandContext): Promise<number>;
}
