// The deploy gate as a library (`spindle/testing` re-exports it; `spindle check` prints it): replay a store's open
// executions or a folder of exported histories on the new build, and report what would break.
export { checkExecutions } from "./check.js";
export { formatCheckReport } from "./format.js";
export type { CheckedHistory, CheckOptions, CheckProgress, CheckReport, ExecutionCheck, PatchUsage } from "./types.js";
