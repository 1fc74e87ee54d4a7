// The console page's entry: a hash router between the executions list (#/?filters) and one execution
// (#/executions/<id>), and the header's mode and clock. Bundled into one script by bundle-page.ts.
/// <reference lib="dom" />
import { actionsAllowed, get } from "./client.js";
import { formatTime, replace } from "./dom.js";
import { showExecution } from "./execution-view.js";
import { showList } from "./list-view.js";

let stop: (() => void) | undefined;

function route(): void {
  stop?.();
  const root = document.getElementById("app")!;
  const hash = location.hash.replace(/^#/, "") || "/";
  const match = /^\/executions\/(.+)$/.exec(hash);
  if (match) {
    stop = showExecution(root, decodeURIComponent(match[1]!));
  } else {
    const query = new URLSearchParams(hash.includes("?") ? hash.slice(hash.indexOf("?") + 1) : "");
    stop = showList(root, query);
  }
  window.scrollTo(0, 0);
}

function header(): void {
  replace(document.getElementById("mode")!, actionsAllowed ? "actions allowed" : "read-only");
  const clock = document.getElementById("clock")!;
  const tick = () =>
    void get<{ now: number }>("info")
      .then((info) => replace(clock, `engine time ${formatTime(info.now)}`))
      .catch(() => replace(clock, "console unreachable"));
  tick();
  setInterval(tick, 5_000);
}

window.addEventListener("hashchange", route);
header();
route();
