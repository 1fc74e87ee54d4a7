// The help texts of `spindle` (the command list, one command's usage and options) and its version, read from the
// package's own package.json at build time.
import { version } from "../../package.json";
import type { Command, CommandOption } from "./commands/types.js";
import { EXIT } from "./errors.js";

/**
 * The version `spindle --version` prints.
 *
 * @example
 * ```ts
 * VERSION; // "0.1.0"
 * ```
 */
export const VERSION: string = version;

/**
 * The usage line of a command: `spindle send <id> <event> [json] [--key <key>]`; a repeatable option is
 * `[--status <status>...]`.
 *
 * @example
 * ```ts
 * usageOf(describeCommand); // "spindle describe <id>"
 * ```
 */
export function usageOf(command: Command): string {
  const args = (command.args ?? []).map((arg) => (arg.required === false ? `[${arg.name}]` : `<${arg.name}>`));
  if (command.variadic) args.push("...");
  const options = Object.entries(command.options ?? {}).map(([name, option]) =>
    option.type === "string" ? `[--${name} <${option.value ?? "value"}>${option.multiple ? "..." : ""}]` : `[--${name}]`,
  );
  return ["spindle", command.name, ...args, ...options].join(" ");
}

function optionLines(options: Readonly<Record<string, CommandOption>>): string[] {
  const rows = Object.entries(options).map(([name, option]) => {
    const flag = `${option.short === undefined ? "    " : `-${option.short}, `}--${name}${option.type === "string" ? ` <${option.value ?? "value"}>` : ""}`;
    return [flag, option.description] as const;
  });
  const width = Math.max(0, ...rows.map(([flag]) => flag.length));
  return rows.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`);
}

/**
 * `spindle --help`: what the tool is, its commands, the global options and the exit codes.
 *
 * @example
 * ```ts
 * console.log(mainHelp(COMMANDS, GLOBAL_OPTIONS));
 * ```
 */
export function mainHelp(commands: readonly Command[], globals: Readonly<Record<string, CommandOption>>): string {
  const width = Math.max(4, ...commands.map((command) => command.name.length));
  return [
    `spindle ${VERSION}: inspect and operate Spindle executions in a store.`,
    "",
    "Usage: spindle <command> [arguments] [options]",
    "",
    "Commands:",
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    `  ${"help".padEnd(width)}  Help on a command: spindle help <command>.`,
    "",
    "Options:",
    ...optionLines(globals),
    "",
    "Configuration: --table/--region/--endpoint use a DynamoDB table; a spindle.config.{ts,mts,js,mjs,cjs} module",
    "exporting { store, workflows } (--config <path>, or found from the working directory up) gives the store and the",
    "workflow code. Flags replace the config's store; the workflows still come from the config.",
    "",
    `Exit codes: ${EXIT.ok} ok, ${EXIT.refused} refused or failed (a closed execution, a divergence), ${EXIT.usage} usage or invalid input,`,
    `${EXIT.notFound} not found, ${EXIT.unavailable} store, config or package unavailable.`,
  ].join("\n");
}

/**
 * `spindle <command> --help`: usage, arguments, the command's options and the global ones.
 *
 * @example
 * ```ts
 * console.log(commandHelp(findCommand("send")!, GLOBAL_OPTIONS));
 * ```
 */
export function commandHelp(command: Command, globals: Readonly<Record<string, CommandOption>>): string {
  // --json is global, and every command prints JSON with it: the usage line says so too.
  const lines = [`Usage: ${usageOf(command)} [--json]`, "", command.summary];
  if (command.details !== undefined) lines.push("", command.details);
  const args = command.args ?? [];
  if (args.length > 0) {
    const width = Math.max(...args.map((arg) => arg.name.length + 2));
    lines.push("", "Arguments:", ...args.map((arg) => `  ${`<${arg.name}>`.padEnd(width)}  ${arg.description}`));
  }
  if (command.options !== undefined && Object.keys(command.options).length > 0) {
    lines.push("", "Options:", ...optionLines(command.options));
  }
  lines.push("", "Global options:", ...optionLines(globals));
  return lines.join("\n");
}
