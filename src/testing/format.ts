// formatTimeline(): a history as a readable timeline, for consoles and assertion messages.
import type { HistoryEvent } from "../core/history.js";
import { formatMillis } from "../core/duration.js";

const MAX_VALUE = 80;

/**
 * Formats recorded events as one line each: sequence, time since the start, operation id, event and details.
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
  return rows
    .map(({ seq, time, op, event }) => {
      const what = event.opId === "-" ? event.name : event.kind === event.name ? event.kind : `${event.kind} '${event.name}'`;
      const detail = details(event, start);
      return `${seq.padEnd(seqWidth)}${time.padEnd(timeWidth)}${op.padEnd(opWidth)}${event.type.padEnd(20)}${what}${detail ? `  ${detail}` : ""}`;
    })
    .join("\n");
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
      return `from #${event.fromSeq}${event.rerun === undefined ? "" : `, step #${event.rerun} with a fresh attempt budget`}`;
    case "ContinuedAsNew":
      return `next run ${event.nextRunId}${event.input === undefined ? "" : ` input ${shortText(event.input)}`}`;
  }
}

function shortText(text: string): string {
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 3)}...` : text;
}
