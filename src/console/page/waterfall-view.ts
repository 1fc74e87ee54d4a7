// The waterfall: one row per operation on a shared time axis. A step's attempts are solid bars (green when they
// succeeded, red when they failed) with hatched backoffs between them; timers, event waits, callbacks and children are
// light bars, open-ended while they wait, with a red tick at their deadline; a group's branches (a dag's tasks) are
// nested rows under it. Positions are percentages of the axis, set through the CSSOM (the page's CSP allows no
// inline style attributes).
/// <reference lib="dom" />
import type { Lane, Segment, Waterfall } from "../waterfall.js";
import { formatDuration, formatTime, h } from "./dom.js";

/** Whether the axis runs to the latest deadline (a 24 h timeout) or only over what happened; kept across refreshes. */
let toDeadlines = false;

/** The waterfall of one run, with its axis; `rerender` draws it again (after the axis toggle). */
export function renderWaterfall(waterfall: Waterfall, executionId: string, rerender: () => void): HTMLElement {
  const axisEnd = toDeadlines ? waterfall.horizon : waterfall.end;
  const span = Math.max(1, axisEnd - waterfall.start);
  // A time past the axis (a deadline beyond what happened) is pinned to its right edge.
  const at = (time: number) => `${(Math.min(Math.max(time - waterfall.start, 0), span) / span) * 100}%`;
  const width = (from: number, to: number) => `${(Math.max(0, Math.min(to, axisEnd) - Math.max(from, waterfall.start)) / span) * 100}%`;
  const open = waterfall.closedAt === undefined;
  const rows = h("div", { class: "wf-rows" });
  const context = { at, width, open, now: waterfall.now, start: waterfall.start, axisEnd, executionId };
  for (const lane of waterfall.lanes) appendLane(rows, lane, 0, context);
  if (waterfall.lanes.length === 0) rows.append(h("p", { class: "muted" }, "No operation recorded yet."));
  const axis = h("div", { class: "wf-axis" });
  for (const tick of ticks(waterfall.start, axisEnd)) {
    const mark = h("span", { class: "wf-tick" }, `+${formatDuration(tick - waterfall.start)}`);
    mark.style.left = at(tick);
    axis.append(mark);
  }
  const track = h("div", { class: "wf-axis-row" }, h("div", { class: "wf-label" }, "operation"), axis);
  const body = h("div", { class: "waterfall", "data-testid": "waterfall" }, track, rows);
  if (open) {
    const now = h("div", { class: "wf-now", title: `now: ${formatTime(waterfall.now)}` });
    now.style.left = at(waterfall.now);
    const overlay = h("div", { class: "wf-overlay" }, now);
    body.append(overlay);
  }
  const legend = h(
    "p",
    { class: "wf-legend muted" },
    `${formatTime(waterfall.start)} to ${formatTime(axisEnd)}${open ? ` (running; now ${formatTime(waterfall.now)})` : ""}. `,
    waterfall.horizon > waterfall.end
      ? h(
          "button",
          { type: "button", class: "link", "data-testid": "axis-toggle", onclick: () => ((toDeadlines = !toDeadlines), rerender()) },
          toDeadlines ? "fit to what happened" : `extend to the last deadline (${formatTime(waterfall.horizon)})`,
        )
      : undefined,
  );
  return h("section", { class: "panel" }, h("h2", {}, "Waterfall"), legend, body);
}

interface LaneContext {
  at(time: number): string;
  width(from: number, to: number): string;
  open: boolean;
  now: number;
  start: number;
  axisEnd: number;
  executionId: string;
}

function appendLane(rows: HTMLElement, lane: Lane, depth: number, context: LaneContext): void {
  rows.append(laneRow(lane, depth, context));
  for (const inner of lane.lanes) appendLane(rows, inner, depth + 1, context);
  for (const branch of lane.branches ?? []) {
    const header = h("div", { class: "wf-row wf-branch" }, h("div", { class: "wf-label" }, branch.label), h("div", { class: "wf-track" }));
    (header.firstChild as HTMLElement).style.paddingLeft = `${(depth + 1) * 14 + 4}px`;
    rows.append(header);
    for (const inner of branch.lanes) appendLane(rows, inner, depth + 2, context);
  }
}

function laneRow(lane: Lane, depth: number, context: LaneContext): HTMLElement {
  const what = lane.kind === lane.name ? lane.kind : `${lane.kind} ${lane.name}`;
  const label = h(
    "div",
    { class: "wf-label", title: `#${lane.opId} ${what}${lane.note ? `\n${lane.note}` : ""}` },
    h("span", { class: `dot status-${lane.status}` }),
    lane.childId
      ? h("a", { href: `#/executions/${encodeURIComponent(lane.childId)}`, class: "child-link" }, what)
      : h("span", {}, what),
    h("span", { class: "muted op" }, ` #${lane.opId}`),
    attempts(lane) > 1 ? h("span", { class: "muted op" }, ` \u00b7 ${attempts(lane)} attempts`) : undefined,
  );
  label.style.paddingLeft = `${depth * 14 + 4}px`;
  const track = h("div", { class: "wf-track" });
  const end = lane.end ?? context.now;
  if (lane.segments.length === 0) {
    const bar = h("div", { class: `wf-bar kind-${lane.branches ? "group" : "mark"} status-${lane.status}`, title: barTitle(lane, lane.start, lane.end) });
    bar.style.left = context.at(lane.start);
    bar.style.width = context.width(lane.start, end);
    track.append(bar);
  }
  for (const segment of lane.segments) track.append(segmentBar(segment, context));
  if (lane.deadline !== undefined && lane.end === undefined) {
    const left = lane.deadline - context.now;
    const kind = lane.kind === "step" ? "next attempt" : lane.kind === "sleep" ? "fires" : "deadline";
    const beyond = lane.deadline > (toDeadlines ? Number.POSITIVE_INFINITY : context.axisEnd);
    const text = `${beyond ? "\u2192 " : ""}${kind} ${formatTime(lane.deadline)}${left > 0 ? ` (in ${formatDuration(left)})` : ""}`;
    const tick = h("div", { class: "wf-deadline", title: text, "data-testid": `deadline-${lane.opId}` });
    tick.style.left = context.at(lane.deadline);
    const note = h("span", { class: "wf-deadline-label" }, text);
    note.style.left = context.at(lane.deadline);
    track.append(tick, note);
  }
  const row = h("div", { class: `wf-row status-${lane.status}`, "data-op": lane.opId, "data-name": lane.name }, label, track);
  return row;
}

function segmentBar(segment: Segment, context: LaneContext): HTMLElement {
  const to = segment.to ?? context.now;
  const classes = ["wf-bar", `kind-${segment.kind}`];
  if (segment.outcome) classes.push(`outcome-${segment.outcome}`);
  if (segment.to === undefined) classes.push("open");
  const label =
    segment.kind === "attempt"
      ? `attempt ${segment.attempt ?? "?"}${segment.outcome ? ` ${segment.outcome}` : " running"}`
      : segment.kind === "backoff"
        ? `backoff after attempt ${segment.attempt ?? "?"}`
        : `${segment.kind}${segment.outcome ? ` ${segment.outcome}` : " waiting"}`;
  const title = `${label}: +${formatDuration(segment.from - context.start)} to ${segment.to === undefined ? "now" : `+${formatDuration(to - context.start)}`} (${formatDuration(to - segment.from)})${segment.note ? `\n${segment.note}` : ""}`;
  const bar = h("div", { class: classes.join(" "), title });
  bar.style.left = context.at(segment.from);
  bar.style.width = context.width(segment.from, to);
  return bar;
}

function attempts(lane: Lane): number {
  return lane.segments.filter((segment) => segment.kind === "attempt").length;
}

function barTitle(lane: Lane, start: number, end: number | undefined): string {
  return `${lane.kind} ${lane.name}: ${formatTime(start)}${end === undefined ? " (open)" : ` to ${formatTime(end)}`}${lane.note ? `\n${lane.note}` : ""}`;
}

/** Five or so round tick times across the axis. */
function ticks(start: number, end: number): number[] {
  const span = Math.max(1, end - start);
  const steps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5, 36e5, 72e5, 144e5, 216e5, 432e5, 864e5, 1728e5, 6048e5];
  const step = steps.find((candidate) => span / candidate <= 6) ?? span / 5;
  const list: number[] = [];
  for (let offset = 0; offset <= span; offset += step) list.push(start + offset);
  return list;
}
