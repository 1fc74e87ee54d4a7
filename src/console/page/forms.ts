// The action forms: a JSON form built from a zod schema's JSON Schema (fields for an object of strings, numbers,
// booleans and enums; a JSON text area for anything else), and the buttons for cancel, terminate, resume and redrive.
// The server checks every payload against the workflow's own zod schema; a refused one shows the schema's message.
/// <reference lib="dom" />
import type { PendingAction } from "../api.js";
import { act, ApiFailure, executionPath } from "./client.js";
import { formatDuration, formatTime, h, replace } from "./dom.js";

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  description?: string;
  default?: unknown;
}

interface Field {
  name: string;
  schema: JsonSchema;
  required: boolean;
  read(): { set: boolean; value?: unknown };
  element: HTMLElement;
}

/** A payload editor for a JSON Schema: its element and a reader that returns the payload (or throws). */
export function schemaEditor(schema: unknown, testId: string): { element: HTMLElement; read(): unknown } {
  const object = schema as JsonSchema | undefined;
  const properties = object?.type === "object" ? object.properties : undefined;
  if (properties && Object.values(properties).every(isSimple)) {
    const fields = Object.entries(properties).map(([name, field]) => simpleField(name, field, object?.required?.includes(name) ?? false, testId));
    return {
      element: h("div", { class: "fields" }, ...fields.map((field) => field.element)),
      read: () => {
        const value: Record<string, unknown> = {};
        for (const field of fields) {
          const read = field.read();
          if (read.set) value[field.name] = read.value;
        }
        return value;
      },
    };
  }
  const area = h("textarea", { rows: 5, spellcheck: "false", "data-testid": `${testId}-json`, placeholder: "JSON, e.g. {\"approved\": true}" });
  area.value = object === undefined ? "" : JSON.stringify(skeleton(object), null, 2);
  return {
    element: h("label", { class: "field" }, h("span", {}, object === undefined ? "payload (JSON; no schema declared)" : "payload (JSON)"), area),
    read: () => {
      if (area.value.trim() === "") return undefined;
      try {
        return JSON.parse(area.value) as unknown;
      } catch {
        throw new ApiFailure(400, "The payload is not valid JSON. Fix the text and send again.");
      }
    },
  };
}

function isSimple(schema: JsonSchema): boolean {
  return schema.enum !== undefined || ["string", "number", "integer", "boolean"].includes(String(schema.type));
}

function simpleField(name: string, schema: JsonSchema, required: boolean, testId: string): Field {
  const id = `${testId}-${name}`;
  const caption = h("span", {}, `${name}${required ? " *" : ""}`, schema.description ? h("small", { class: "muted" }, ` ${schema.description}`) : undefined);
  if (schema.enum !== undefined) {
    const select = h("select", { "data-testid": id }, h("option", { value: "" }, "(not set)"), ...schema.enum.map((option, index) => h("option", { value: String(index) }, JSON.stringify(option))));
    return {
      name, schema, required,
      element: h("label", { class: "field" }, caption, select),
      read: () => (select.value === "" ? { set: false } : { set: true, value: schema.enum![Number(select.value)] }),
    };
  }
  if (schema.type === "boolean") {
    const box = h("input", { type: "checkbox", "data-testid": id });
    return {
      name, schema, required,
      element: h("label", { class: "field check" }, box, caption),
      read: () => ({ set: true, value: box.checked }),
    };
  }
  const numeric = schema.type === "number" || schema.type === "integer";
  const input = h("input", { type: numeric ? "number" : "text", "data-testid": id, ...(schema.type === "integer" ? { step: "1" } : { step: "any" }) });
  return {
    name, schema, required,
    element: h("label", { class: "field" }, caption, input),
    read: () => {
      // An empty optional field is left out; an empty required string is sent, so the schema says what it wants.
      if (input.value === "" && (!required || numeric)) return { set: false };
      return { set: true, value: numeric ? Number(input.value) : input.value };
    },
  };
}

function skeleton(schema: JsonSchema): unknown {
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum !== undefined) return schema.enum[0];
  switch (Array.isArray(schema.type) ? schema.type[0] : schema.type) {
    case "object":
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([name, inner]) => [name, skeleton(inner)]));
    case "array":
      return [];
    case "string":
      return "";
    case "number":
    case "integer":
      return 0;
    case "boolean":
      return false;
    default:
      return null;
  }
}

/** Runs an action from a form: disables it while it runs, shows the refusal inline, calls `done` on success. */
function submitter(form: HTMLFormElement, message: HTMLElement, run: () => Promise<unknown>, done: () => void): void {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const buttons = Array.from(form.querySelectorAll("button"));
    buttons.forEach((button) => (button.disabled = true));
    replace(message);
    message.className = "form-message";
    run()
      .then(() => {
        message.className = "form-message ok";
        replace(message, "Done.");
        done();
      })
      .catch((error: unknown) => {
        message.className = "form-message error";
        message.setAttribute("role", "alert");
        replace(message, error instanceof Error ? error.message : String(error));
      })
      .finally(() => buttons.forEach((button) => (button.disabled = false)));
  });
}

/** A form for one pending wait: send its event, or complete / fail its callback. */
export function pendingForm(id: string, pending: PendingAction, now: number, done: () => void): HTMLElement {
  const testId = `${pending.kind}-${pending.name}`;
  const editor = schemaEditor(pending.schema, testId);
  const message = h("p", { class: "form-message" });
  const deadline = pending.until === undefined ? "no deadline" : `deadline ${formatTime(pending.until)} (in ${formatDuration(pending.until - now)})`;
  const title = pending.kind === "event" ? `Send event '${pending.name}'` : `Complete callback '${pending.name}'`;
  const form = h("form", { class: "action-form", "data-testid": `form-${testId}` }, h("h3", {}, title, h("small", { class: "muted" }, ` #${pending.opId}, ${deadline}`)), editor.element);
  const base = executionPath(id);
  if (pending.kind === "event") {
    form.append(h("button", { type: "submit", "data-testid": `send-${pending.name}` }, "Send"), message);
    submitter(form, message, async () => act(`${base}/events`, { name: pending.name, payload: editor.read() }), done);
    return form;
  }
  const reason = h("input", { type: "text", placeholder: "reason (to fail it)", "data-testid": `${testId}-reason` });
  let failing = false;
  form.append(
    h("div", { class: "buttons" },
      h("button", { type: "submit", "data-testid": `complete-${pending.name}`, onclick: () => (failing = false) }, "Complete"),
      reason,
      h("button", { type: "submit", class: "danger", "data-testid": `fail-${pending.name}`, onclick: () => (failing = true) }, "Fail"),
    ),
    message,
  );
  const callbackPath = `${base}/callbacks/${encodeURIComponent(pending.opId)}`;
  submitter(form, message, async () => (failing ? act(`${callbackPath}/fail`, { message: reason.value }) : act(`${callbackPath}/complete`, { value: editor.read() })), done);
  return form;
}

/** A free form for any event the workflow declares (it may arrive before the workflow waits for it). */
export function anyEventForm(id: string, events: { name: string; schema?: unknown }[], done: () => void): HTMLElement {
  const message = h("p", { class: "form-message" });
  const name = h("input", { type: "text", list: "event-names", placeholder: "event name", "data-testid": "any-event-name" });
  const names = h("datalist", { id: "event-names" }, ...events.map((event) => h("option", { value: event.name })));
  const area = h("textarea", { rows: 3, spellcheck: "false", placeholder: "payload JSON (optional)", "data-testid": "any-event-json" });
  const form = h("form", { class: "action-form" }, h("h3", {}, "Send an event"), names, h("label", { class: "field" }, h("span", {}, "name"), name), h("label", { class: "field" }, h("span", {}, "payload (JSON)"), area), h("button", { type: "submit" }, "Send"), message);
  submitter(form, message, async () => {
    let payload: unknown;
    if (area.value.trim() !== "") {
      try {
        payload = JSON.parse(area.value);
      } catch {
        throw new ApiFailure(400, "The payload is not valid JSON. Fix the text and send again.");
      }
    }
    return act(`${executionPath(id)}/events`, { name: name.value, payload });
  }, done);
  return form;
}

/** Cancel, terminate, resume and redrive, as the status allows; undefined when none applies (it completed). */
export function controlForm(id: string, status: string, done: () => void): HTMLElement | undefined {
  const open = !["completed", "failed", "cancelled", "terminated"].includes(status);
  if (!open && status !== "failed") return undefined;
  const message = h("p", { class: "form-message" });
  const reason = h("input", { type: "text", placeholder: "reason (optional)", "data-testid": "control-reason" });
  let chosen = "";
  const button = (action: string, label: string, extra: string) =>
    h("button", { type: "submit", class: extra, "data-testid": `action-${action}`, onclick: () => (chosen = action) }, label);
  const form = h(
    "form",
    { class: "action-form" },
    h("h3", {}, "Execution"),
    h("div", { class: "buttons" },
      open && reason,
      open && button("cancel", "Cancel", "danger"),
      open && button("terminate", "Terminate", "danger"),
      open && button("resume", "Resume (run a turn)", ""),
      (status === "failed" || status === "stuck") && button("redrive", "Redrive", ""),
    ),
    message,
  );
  submitter(form, message, async () => {
    if (chosen === "terminate" && !window.confirm(`Terminate ${id}? No workflow code runs, no compensation.`)) throw new ApiFailure(0, "Not terminated.");
    return act(`${executionPath(id)}/${chosen}`, chosen === "cancel" || chosen === "terminate" ? { reason: reason.value } : {});
  }, done);
  return form;
}
