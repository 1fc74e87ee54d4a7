// The registry of `spindle` commands, in the order `spindle --help` lists them. To add a command: write
// src/cli/commands/<name>.ts exporting a Command (see types.ts) and add it to COMMANDS here, one line.
import { checkCommand } from "./check.js";
import { consoleCommand } from "./console.js";
import { cancelCommand, redriveCommand, resumeCommand, terminateCommand } from "./control.js";
import { completeCommand, failCommand, sendCommand } from "./deliver.js";
import { describeCommand, exportCommand, historyCommand, timelineCommand } from "./inspect.js";
import { listCommand } from "./list.js";
import type { Command } from "./types.js";

/**
 * Every command of `spindle`, in help order.
 *
 * @example
 * ```ts
 * COMMANDS.map((command) => command.name); // ["list", "describe", "history", ...]
 * ```
 */
export const COMMANDS: readonly Command[] = [
  listCommand,
  describeCommand,
  historyCommand,
  timelineCommand,
  exportCommand,
  sendCommand,
  completeCommand,
  failCommand,
  cancelCommand,
  terminateCommand,
  resumeCommand,
  redriveCommand,
  checkCommand,
  consoleCommand,
];

/**
 * The command with this name, or undefined.
 *
 * @example
 * ```ts
 * findCommand("describe")?.summary;
 * ```
 */
export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((command) => command.name === name);
}
