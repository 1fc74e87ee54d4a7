// The executions list: filters (workflow, status, custom status), newest first, a page at a time (the store's
// cursor), refreshed every two seconds while the first page is shown.
/// <reference lib="dom" />
import type { ExecutionDescription } from "../../engine/describe.js";
import type { Jsonify } from "../../operations/json.js";
import { get } from "./client.js";
import { badge, formatTime, h, replace } from "./dom.js";

type Execution = Jsonify<ExecutionDescription>;
interface Page {
  executions: Execution[];
  cursor?: string;
}
interface Info {
  workflows: string[];
  statuses: string[];
}

/** Shows the list in `root`, filtered by `query` (the hash's query string); returns a stop function. */
export function showList(root: HTMLElement, query: URLSearchParams): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cursors: string[] = query.get("cursor") ? [query.get("cursor")!] : [];
  const workflow = h("select", { name: "workflow", "data-testid": "filter-workflow" }, h("option", { value: "" }, "any workflow"));
  const status = h("select", { name: "status", "data-testid": "filter-status" }, h("option", { value: "" }, "any status"));
  const custom = h("input", { type: "search", name: "customStatus", placeholder: "custom status contains", "data-testid": "filter-custom" });
  custom.value = query.get("customStatus") ?? "";
  const filters = h("form", { class: "filters", "data-testid": "filters" }, workflow, status, custom, h("button", { type: "submit" }, "Filter"));
  const table = h("div");
  const pager = h("div", { class: "pager" });
  const problem = h("p", { class: "form-message error", role: "alert" });
  replace(root, h("h1", {}, "Executions"), filters, problem, table, pager);

  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    if (workflow.value) next.set("workflow", workflow.value);
    if (status.value) next.set("status", status.value);
    if (custom.value.trim()) next.set("customStatus", custom.value.trim());
    location.hash = `#/?${next.toString()}`;
  });

  void get<Info>("info").then((info) => {
    for (const name of info.workflows) workflow.append(h("option", { value: name }, name));
    for (const name of info.statuses) status.append(h("option", { value: name }, name));
    workflow.value = query.get("workflow") ?? "";
    status.value = query.get("status") ?? "";
  });

  const load = async () => {
    const params = new URLSearchParams();
    for (const key of ["workflow", "status", "customStatus"]) if (query.get(key)) params.set(key, query.get(key)!);
    const cursor = cursors[cursors.length - 1];
    if (cursor) params.set("cursor", cursor);
    try {
      const page = await get<Page>(`executions?${params.toString()}`);
      if (stopped) return;
      replace(problem);
      replace(table, executionsTable(page.executions));
      replace(
        pager,
        cursors.length > 0 && h("button", { type: "button", onclick: () => { cursors.pop(); void load(); } }, "< newer"),
        page.cursor && h("button", { type: "button", "data-testid": "older", onclick: () => { cursors.push(page.cursor!); void load(); } }, "older >"),
      );
    } catch (error) {
      if (!stopped) replace(problem, error instanceof Error ? error.message : String(error));
    }
    if (!stopped && cursors.length === 0) {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => void load(), 2_000);
    }
  };
  void load();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
}

function executionsTable(executions: Execution[]): Node {
  if (executions.length === 0) return h("p", { class: "muted", "data-testid": "no-executions" }, "No executions match.");
  const rows = executions.map((execution) =>
    h(
      "tr",
      { "data-testid": `row-${execution.id}` },
      h("td", {}, h("a", { href: `#/executions/${encodeURIComponent(execution.id)}` }, execution.id)),
      h("td", {}, execution.workflow),
      h("td", {}, badge(execution.status)),
      h("td", {}, execution.customStatus === undefined ? "" : h("code", {}, JSON.stringify(execution.customStatus))),
      h("td", {}, execution.waitingFor.map((wait) => `${wait.kind} '${wait.name}'${wait.until ? ` until ${formatTime(wait.until)}` : ""}`).join(", ")),
      h("td", {}, formatTime(execution.createdAt)),
      h("td", {}, formatTime(execution.updatedAt)),
    ),
  );
  return h(
    "table",
    { class: "executions", "data-testid": "executions" },
    h("thead", {}, h("tr", {}, ...["id", "workflow", "status", "custom status", "waiting for", "created", "updated"].map((title) => h("th", {}, title)))),
    h("tbody", {}, ...rows),
  );
}
