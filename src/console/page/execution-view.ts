// One execution: its summary (status, custom status, parent, what it waits for), the action forms, the waterfall, its
// input and result or error with the error's cause chain, and the raw history table. Polled every second while it is
// open; the forms are rebuilt only when what it waits for changes, so typing in them is never lost.
/// <reference lib="dom" />
import type { ExecutionView } from "../api.js";
import type { Jsonify } from "../../operations/json.js";
import { actionsAllowed, executionPath, get } from "./client.js";
import { badge, code, formatDuration, formatTime, h, parseJson, replace } from "./dom.js";
import { anyEventForm, controlForm, pendingForm } from "./forms.js";
import { renderWaterfall } from "./waterfall-view.js";

type View = Jsonify<ExecutionView>;
type ErrorJson = NonNullable<View["execution"]["error"]>;

const CLOSED = new Set(["completed", "failed", "cancelled", "terminated"]);
/** History event fields that hold a value as JSON text. */
const JSON_TEXT = new Set(["input", "result", "payload", "value", "shape"]);

/** Shows execution `id` in `root`; returns a stop function (for the router). */
export function showExecution(root: HTMLElement, id: string): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let current: View | undefined;
  let formsKey = "";
  const summary = h("section", { class: "panel summary" });
  const actions = h("section", { class: "panel actions", "data-testid": "actions" });
  const picture = h("div");
  const details = h("section", { class: "panel details" });
  const history = h("section", { class: "panel" });
  const problem = h("p", { class: "form-message error", role: "alert" });
  replace(root, h("p", {}, h("a", { href: "#/" }, "< executions")), problem, h("div", { class: "top-grid" }, summary, actions), picture, details, history);

  const refresh = async () => {
    try {
      const known = current ? `?known=${encodeURIComponent(current.version)}` : "";
      const answer = await get<View | { unchanged: true; now: number }>(`${executionPath(id)}${known}`);
      if (stopped) return;
      replace(problem);
      if ("unchanged" in answer) {
        // Nothing recorded since: only time moved, which open bars and deadlines are drawn against.
        if (current && answer.now !== current.waterfall.now) {
          current = { ...current, waterfall: { ...current.waterfall, now: answer.now, end: Math.max(current.waterfall.end, answer.now), horizon: Math.max(current.waterfall.horizon, answer.now) } };
          render(current);
        }
      } else {
        current = answer;
        render(answer);
      }
      if (current && !CLOSED.has(current.execution.status)) timer = setTimeout(() => void refresh(), 1_000);
    } catch (error) {
      if (stopped) return;
      replace(problem, error instanceof Error ? error.message : String(error));
      timer = setTimeout(() => void refresh(), 2_000);
    }
  };

  const render = (view: View) => {
    const { execution } = view;
    replace(summary, ...summaryContent(view));
    const key = `${execution.status}|${view.pending.map((pending) => `${pending.kind}:${pending.opId}`).join(",")}`;
    if (key !== formsKey) {
      formsKey = key;
      replace(actions, ...actionsContent(view, () => void refresh()));
    }
    replace(picture, renderWaterfall(view.waterfall as never, id, () => render(view)));
    replace(details, ...detailsContent(view));
    replace(history, h("h2", {}, `History (${view.history.length} events)`), historyTable(view));
  };

  void refresh();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
}

function summaryContent(view: View): (Node | string)[] {
  const { execution } = view;
  const waits = execution.waitingFor.map((wait) =>
    h("li", { "data-testid": `waiting-${wait.kind}-${wait.name}` }, `${wait.kind} '${wait.name}' #${wait.opId}`, wait.until ? ` until ${formatTime(wait.until)}` : ""),
  );
  const rows: [string, Node | string][] = [
    ["workflow", execution.workflow],
    ["status", badge(execution.status)],
    ["run", `${execution.runId}${execution.runs > 0 ? ` (after ${execution.runs} earlier runs)` : ""}`],
    ["created", formatTime(execution.createdAt)],
    ["updated", formatTime(execution.updatedAt)],
  ];
  if (execution.parent) {
    rows.push(["parent", h("a", { href: `#/executions/${encodeURIComponent(execution.parent.executionId)}` }, `${execution.parent.executionId} (#${execution.parent.opId})`)]);
  }
  if (execution.wakeAt) rows.push(["wakes", formatTime(execution.wakeAt)]);
  if (execution.customStatus !== undefined) rows.push(["custom status", h("code", { "data-testid": "custom-status" }, JSON.stringify(execution.customStatus))]);
  if (execution.turnFailures) {
    const failures = execution.turnFailures;
    rows.push(["failed turns", `${failures.count}: ${failures.reason}${failures.nextAttemptAt ? `, next try ${formatTime(failures.nextAttemptAt)}` : ""}`]);
  }
  return [
    h("h1", { "data-testid": "execution-id" }, execution.id, " ", badge(execution.status)),
    h("dl", { class: "facts" }, ...rows.flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)])),
    waits.length > 0 ? h("div", {}, h("h3", {}, "Waiting for"), h("ul", {}, ...waits)) : "",
  ];
}

function actionsContent(view: View, done: () => void): (Node | string)[] {
  const { execution } = view;
  if (!actionsAllowed) return [h("p", { class: "muted" }, "Read-only: start the console with --allow-actions to act on executions.")];
  const open = !CLOSED.has(execution.status);
  const forms: Node[] = [];
  if (open && view.unknownWorkflow) {
    // The engine checks events and callback values against the workflow's schemas: without the workflow it refuses.
    forms.push(h("p", { class: "muted", "data-testid": "unknown-workflow" }, `Workflow '${execution.workflow}' is not in the console's configuration, so its events and callbacks cannot be checked or sent here: add it to the config's workflows.`));
  } else if (open) {
    for (const pending of view.pending) forms.push(pendingForm(execution.id, pending as never, view.waterfall.now, done));
    if (view.pending.length === 0 && view.events.length > 0) forms.push(anyEventForm(execution.id, view.events, done));
  }
  const control = controlForm(execution.id, execution.status, done);
  if (control) forms.push(control);
  if (forms.length === 0) return [h("h2", {}, "Actions"), h("p", { class: "muted" }, `Nothing to do: the execution is ${execution.status}.`)];
  return [h("h2", {}, "Actions"), ...forms];
}

function detailsContent(view: View): Node[] {
  const { execution } = view;
  const parts: Node[] = [h("h2", {}, "Details"), h("h3", {}, "Input"), code(execution.input)];
  if (execution.status === "completed") parts.push(h("h3", {}, "Result"), code(execution.result));
  if (execution.error) parts.push(h("h3", {}, "Error"), errorChain(execution.error));
  const cancelled = view.history.find((event) => event.type === "ExecutionCancelled");
  if (cancelled?.type === "ExecutionCancelled") {
    const how = cancelled.terminated ? "terminated" : "cancelled";
    parts.push(h("h3", {}, "Ending"), h("p", { "data-testid": "ending" }, `${how}${cancelled.reason === undefined ? "" : `: ${cancelled.reason}`} at ${formatTime(cancelled.at)}`));
  }
  return parts;
}

/** An error and each of its causes, outermost first. */
function errorChain(error: ErrorJson): HTMLElement {
  const list = h("ol", { class: "causes", "data-testid": "error-chain" });
  let current: ErrorJson | undefined = error;
  for (let depth = 0; current && depth < 20; depth++) {
    const item = h("li", {}, h("strong", {}, current.name), current.code ? h("span", { class: "muted" }, ` [${current.code}]`) : undefined, `: ${current.message}`);
    if (current.data && Object.keys(current.data).length > 0) item.append(code(current.data));
    if (current.stack) item.append(h("details", {}, h("summary", {}, "stack"), h("pre", { class: "stack" }, current.stack)));
    list.append(item);
    current = current.cause as ErrorJson | undefined;
  }
  return list;
}

function historyTable(view: View): HTMLElement {
  const superseded = new Set(view.waterfall.superseded);
  const start = view.history[0]?.at ?? 0;
  const rows = view.history.map((event) => {
    const { type, seq, opId, kind, name, at, v: _version, ...rest } = event as Record<string, unknown> & View["history"][number];
    const fields = Object.fromEntries(
      Object.entries(rest).map(([key, value]) => [key, JSON_TEXT.has(key) && typeof value === "string" ? parseJson(value) : key === "error" ? withoutStacks(value) : value]),
    );
    return h(
      "tr",
      { class: superseded.has(seq) ? "superseded" : "", title: superseded.has(seq) ? "superseded by a redrive" : undefined },
      h("td", {}, String(seq)),
      h("td", { title: formatTime(at) }, `+${formatDuration(at - start)}`),
      h("td", {}, opId),
      h("td", {}, type),
      h("td", {}, kind === name ? kind : `${kind} ${name}`),
      h("td", {}, h("code", {}, Object.keys(fields).length > 0 ? JSON.stringify(fields) : "")),
    );
  });
  return h(
    "table",
    { class: "history", "data-testid": "history" },
    h("thead", {}, h("tr", {}, ...["#", "at", "op", "event", "operation", "fields"].map((title) => h("th", {}, title)))),
    h("tbody", {}, ...rows),
  );
}

/** An error record without its stacks (the table stays readable; the Details panel shows them). */
function withoutStacks(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  const { stack: _stack, cause, ...rest } = value as Record<string, unknown>;
  return cause === undefined ? rest : { ...rest, cause: withoutStacks(cause) };
}
