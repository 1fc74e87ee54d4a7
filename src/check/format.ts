// The deploy gate's report as text for people: each divergence with the first differing operation and both sides, each
// history that could not be read, the patch report ("safe to remove the old branch"), and one summary line. Executions
// that replay are counted, not listed, so a check over thousands stays readable.
import type { CheckReport, ExecutionCheck, PatchUsage } from "./types.js";

/** Execution ids listed per patch before the rest are counted. */
const LISTED_IDS = 5;

/**
 * The report as lines of text (no trailing newline): what `spindle check` prints.
 *
 * @example
 * ```ts
 * console.log(formatCheckReport(await checkExecutions({ from: "test/golden", workflows })));
 * // DIVERGED  order-7 (order) at operation #1
 * //   recorded: step 'reserve'
 * //   now:      step 'charge'
 * // ...
 * ```
 */
export function formatCheckReport(report: CheckReport): string {
  const lines: string[] = [];
  for (const result of report.executions) {
    if (result.status === "diverged") lines.push(...diverged(result));
    else if (result.status === "error") lines.push(`ERROR     ${where(result)}: ${result.code}: ${result.message}`);
  }
  if (report.patches.length > 0) {
    if (lines.length > 0) lines.push("");
    lines.push("patched() ids:");
    const width = Math.max(...report.patches.map((patch) => patch.id.length));
    for (const patch of report.patches) lines.push(`  ${patch.id.padEnd(width)}  ${patchLine(patch)}`);
  }
  if (lines.length > 0) lines.push("");
  lines.push(summary(report));
  return lines.join("\n");
}

function diverged(result: Extract<ExecutionCheck, { status: "diverged" }>): string[] {
  if (result.opId === undefined || (result.expected === undefined && result.found === undefined)) {
    return [`DIVERGED  ${where(result)}: ${result.message}`];
  }
  const at = result.opId === "-" ? "at the execution's end" : `at operation #${result.opId}`;
  return [
    `DIVERGED  ${where(result)} ${at}`,
    `  recorded: ${result.expected?.text ?? "(not said)"}`,
    `  now:      ${result.found?.text ?? "(not said)"}`,
  ];
}

function where(result: ExecutionCheck): string {
  const about = [result.workflow, result.file].filter((part) => part !== undefined);
  return about.length === 0 ? result.executionId : `${result.executionId} (${about.join(", ")})`;
}

function patchLine(patch: PatchUsage): string {
  const onNew = `${patch.newBranch} on the new one`;
  const unchecked = patch.unchecked === 0 ? "" : `; ${plural(patch.unchecked, "execution")} that may ask it could not be replayed`;
  if (patch.oldBranch.length === 0) {
    return patch.safeToRemove
      ? `no execution runs the old branch (${onNew}): safe to remove the old branch (deprecatePatch)`
      : `no replayed execution runs the old branch (${onNew})${unchecked}: not safe to remove yet`;
  }
  const ids = patch.oldBranch.slice(0, LISTED_IDS).join(", ");
  const more = patch.oldBranch.length > LISTED_IDS ? `, and ${patch.oldBranch.length - LISTED_IDS} more` : "";
  const run = patch.oldBranch.length === 1 ? "runs" : "run";
  return `${plural(patch.oldBranch.length, "execution")} still ${run} the old branch (${ids}${more}; ${onNew})${unchecked}: keep it`;
}

function summary(report: CheckReport): string {
  const of = `${plural(report.checked, "history", "histories")} from the ${report.source}`;
  const skipped = report.skipped === 0 ? "" : ` (${report.skipped} skipped: schedule state, or gone since listed)`;
  if (report.ok && report.checked === 0) return `OK: nothing to check in the ${report.source}${skipped}.`;
  if (report.ok) return `OK: all ${of} replay on this build${skipped}.`;
  const parts = [
    report.diverged > 0 ? `${report.diverged} diverged` : undefined,
    report.errors > 0 ? `${plural(report.errors, "error")}` : undefined,
    `${report.passed} replayed`,
  ].filter((part) => part !== undefined);
  return `FAILED: ${parts.join(", ")}, of ${of}${skipped}. Deploying this build would break the executions named above.`;
}

function plural(count: number, noun: string, many = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : many}`;
}
