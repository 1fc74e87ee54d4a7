// formatTimeline(): a history as a readable timeline, for consoles and assertion messages.
import type { HistoryEvent } from "../core/history.js";
import { formatMillis } from "../core/duration.js";
import { describeShape } from "../core/handlers/dag.js";

const MAX_VALUE = 80;

/**
 * Formats recorded events as one line each: sequence, time since the start, operation id, event and details. Each
 * `dag` then gets a line per task as it ran: its status and when it started and ended.
 *
 * @example
 * ```ts
 * console.log(formatTimeline(await engine.history("order-o-1")));
 * //  #1  +0ms         ExecutionStarted   order  input {"orderId":"o-1"}
 * //  #2  +2ms    [0]  StepCompleted      step 'quote'  attempt 1 -> {"price":3}
 * ```
 */
export function formatTimeline(events: readonly HistoryEvent[]): string {
  if (events.length === 0) return "(no events)";
  const start = events[0]!.at;
  const rows = events.map((event) => ({
    seq: `#${event.seq}`,
    time: `+${formatMillis(event.at - start)}`,
    op: event.opId === "-" ? "" : `[${event.opId}]`,
    event,
  }));
  // Columns as wide as their widest cell (at least the usual width), so a long offset never runs into the next one.
  const width = (cells: string[], least: number) => Math.max(least, ...cells.map((cell) => cell.length + 1));
  const seqWidth = width(rows.map((row) => row.seq), 6);
  const timeWidth = width(rows.map((row) => row.time), 12);
  const opWidth = width(rows.map((row) => row.op), 8);
  const lines = rows
    .map(({ seq, time, op, event }) => {
      const what = event.opId === "-" ? event.name : event.kind === event.name ? event.kind : `${event.kind} '${event.name}'`;
      const detail = details(event, start);
      return `${seq.padEnd(seqWidth)}${time.padEnd(timeWidth)}${op.padEnd(opWidth)}${event.type.padEnd(20)}${what}${detail ? `  ${detail}` : ""}`;
    })
    .join("\n");
  return lines + dagSummaries(events, start);
}

/** One line per task of each recorded dag: status (success, failed, skipped, running) and start/end times. */
function dagSummaries(events: readonly HistoryEvent[], start: number): string {
  let text = "";
  for (const group of events) {
    if (group.type !== "GroupStarted" || group.shape === undefined) continue;
    let names: string[];
    try {
      names = (JSON.parse(group.shape) as [string, string[]][]).map(([name]) => name);
    } catch {
      continue;
    }
    text += `\ndag '${group.name}' [${group.opId}]`;
    names.forEach((name, index) => {
      const prefix = `${group.opId}.${index}.`;
      const own = events.filter((event) => event.opId.startsWith(prefix));
      const first = own[0];
      const last = own[own.length - 1];
      const status = taskStatus(own, `${prefix}0`);
      const when = first ? `  +${formatMillis(first.at - start)} .. +${formatMillis(last!.at - start)}` : "";
      text += `\n  ${name}: ${status}${when}`;
    });
  }
  return text;
}

function taskStatus(own: readonly HistoryEvent[], opId: string): string {
  if (own.length === 0) return "skipped";
  for (let i = own.length - 1; i >= 0; i--) {
    const event = own[i]!;
    if (event.opId !== opId) continue;
    if (event.type === "StepCompleted") return "success";
    if (event.type === "StepFailed" && event.retryAt === undefined) return "failed";
    if (event.type === "ChildCompleted") return event.status === "completed" ? "success" : "failed";
  }
  return "running";
}

function details(event: HistoryEvent, start: number): string {
  switch (event.type) {
    case "ExecutionStarted":
      return event.input === undefined ? "" : `input ${shortText(event.input)}`;
    case "StepStarted":
      return `attempt ${event.attempt}`;
    case "StepCompleted":
      return `attempt ${event.attempt} -> ${event.result === undefined ? "(no value)" : shortText(event.result)}`;
    case "StepFailed":
      return (
        `attempt ${event.attempt} ${event.error.name}: ${shortText(event.error.message)}` +
        (event.retryAt === undefined ? " (final)" : ` (retry at +${formatMillis(event.retryAt - start)})`)
      );
    case "TimerScheduled":
      return `fires at +${formatMillis(event.fireAt - start)}`;
    case "WaitStarted":
      return event.deadline === undefined ? "" : `times out at +${formatMillis(event.deadline - start)}`;
    case "EventReceived":
      return event.payload === undefined ? "" : shortText(event.payload);
    case "ValueRecorded":
      return shortText(event.value);
    case "StatusSet":
      return event.value === undefined ? "" : shortText(event.value);
    case "CancelRequested":
    case "ExecutionCancelled":
      return [
        "reason" in event && event.reason !== undefined ? `reason: ${shortText(event.reason)}` : "",
        "terminated" in event && event.terminated ? "(terminated)" : "",
      ]
        .filter(Boolean)
        .join(" ");
    case "ExecutionCompleted":
      return event.result === undefined ? "" : `-> ${shortText(event.result)}`;
    case "ExecutionFailed":
      return `${event.error.name}: ${shortText(event.error.message)}`;
    case "TimerFired":
    case "PatchMarker":
      return "";
    case "GroupStarted":
      if (event.shape !== undefined) return `${event.size} ${event.size === 1 ? "task" : "tasks"}: ${describeShape(event.shape)}`;
      return `${event.size} ${event.size === 1 ? "child" : "children"}`;
    case "GroupSettled":
      return `settled by child ${event.index}`;
    case "ChildStarted":
      return `${event.childId}${event.detached ? " (detached)" : ""}`;
    case "ChildCompleted":
      return event.status === "completed"
        ? `-> ${event.result === undefined ? "(no value)" : shortText(event.result)}`
        : `${event.status}${event.error ? ` ${event.error.name}: ${shortText(event.error.message)}` : ""}`;
    case "CallbackCreated":
      return event.deadline === undefined ? "" : `times out at +${formatMillis(event.deadline - start)}`;
    case "CallbackCompleted":
      return event.error ? `failed ${event.error.name}: ${shortText(event.error.message)}` : `-> ${event.value === undefined ? "(no value)" : shortText(event.value)}`;
    case "ExecutionRedriven":
      if (event.rerun === undefined) return `from #${event.fromSeq}`;
      if (typeof event.rerun === "string") return `from #${event.fromSeq}, step #${event.rerun} with a fresh attempt budget`;
      return `from #${event.fromSeq}, tasks ${event.rerun.map((id) => `#${id}`).join(", ")} with a fresh attempt budget`;
    case "ContinuedAsNew":
      return `next run ${event.nextRunId}${event.input === undefined ? "" : ` input ${shortText(event.input)}`}`;
  }
}

function shortText(text: string): string {
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 3)}...` : text;
}
