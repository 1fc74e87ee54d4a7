// spindle/console: the local web console over an engine or a store (startConsole), also behind `spindle console`.
export { startConsole } from "./server.js";
export type { ConsoleOptions, RunningConsole } from "./server.js";
