// The page's small DOM helpers: element creation, formatting of times, durations and values. No framework: the page
// is a handful of views re-rendered from JSON, and this file is all the "library" they need.
/// <reference lib="dom" />

type Child = Node | string | number | false | null | undefined;
type Props = Record<string, string | number | boolean | ((event: Event) => void) | undefined>;

/** Creates an element: `h("a", { href: "#/" }, "home")`. `on…` props are listeners; `false`/undefined props are skipped. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") element.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === "class") element.className = String(value);
    else if (value === true) element.setAttribute(key, "");
    else element.setAttribute(key, String(value));
  }
  append(element, children);
  return element;
}

/** Appends children, skipping the empty ones. */
export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    parent.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }
}

/** Replaces an element's content. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** A time as `2026-03-02 09:05:00.000 UTC`. */
export function formatTime(at: number | string | undefined): string {
  if (at === undefined) return "";
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return String(at);
  return `${date.toISOString().replace("T", " ").replace("Z", "")} UTC`;
}

/** A duration as `350ms`, `4.2s`, `3m 5s`, `2h 10m`, `3d 4h`. */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? "-" : "";
  const abs = Math.abs(ms);
  if (abs < 1_000) return `${sign}${Math.round(abs)}ms`;
  if (abs < 60_000) return `${sign}${(abs / 1_000).toFixed(abs < 10_000 ? 1 : 0)}s`;
  const units: [number, string][] = [
    [86_400_000, "d"],
    [3_600_000, "h"],
    [60_000, "m"],
    [1_000, "s"],
  ];
  const parts: string[] = [];
  let rest = abs;
  for (const [size, unit] of units) {
    if (rest >= size && parts.length < 2) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    } else if (parts.length > 0) break;
  }
  return sign + parts.join(" ");
}

/** A stored value (JSON text in history events, a value in describe) as pretty JSON. */
export function pretty(value: unknown): string {
  if (value === undefined) return "(none)";
  return JSON.stringify(value, null, 2) ?? String(value);
}

/** JSON text from a history event, parsed when it is JSON. */
export function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A status as a coloured badge. */
export function badge(status: string): HTMLElement {
  return h("span", { class: `badge status-${status}` }, status);
}

/** A `<pre>` of a value. */
export function code(value: unknown): HTMLElement {
  return h("pre", { class: "json" }, pretty(value));
}
