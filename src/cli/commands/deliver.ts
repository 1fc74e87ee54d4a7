// The commands that deliver something to an execution: `send` (an event), `complete` and `fail` (a callback, by its
// token). Each goes through the engine's public call, so schemas, idempotency and closed executions are checked
// exactly as for application code, and nothing is stored when it is refused.
import { EXIT, usageError } from "../errors.js";
import { json } from "../output.js";
import type { Command } from "./types.js";

/**
 * Parses a JSON argument, or says which argument is not JSON and how to write it.
 *
 * @example
 * ```ts
 * parseJsonArgument("payload", '{"ref":"r-9"}'); // { ref: "r-9" }
 * ```
 * @throws CliError (exit 2) naming the argument (the error line names the command).
 */
export function parseJsonArgument(argument: string, text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw usageError(
      `<${argument}> is not JSON (${(error as Error).message}): ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)}. ` +
        `Pass a JSON value quoted for the shell, e.g. '{"ref":"r-9"}', '"text"' for a string, or leave it out for none.`,
    );
  }
}

/**
 * `spindle send <id> <event> [payload] [--key <key>]`: sendEvent, checked against the workflow's events.
 *
 * @example
 * ```ts
 * await runCli(["send", "order-o-1", "paid", '{"ref":"r-9"}', "--key", "stripe-evt-1"]);
 * ```
 */
export const sendCommand: Command = {
  name: "send",
  summary: "Send an event to an execution (checked against the workflow's declared events).",
  details: "Example:\n  spindle send order-o-1 paid '{\"ref\":\"r-9\"}' --key stripe-evt-1",
  args: [
    { name: "id", description: "The execution id." },
    { name: "event", description: "The event's name, as the workflow waits for it." },
    { name: "payload", description: "The payload, JSON. Default: none.", required: false },
  ],
  options: {
    key: { type: "string", short: "k", value: "key", description: "Idempotency key: the same key and event are delivered once." },
  },
  needs: "workflows",
  async run(context) {
    const [id, name, text] = context.positionals as [string, string, string?];
    const payload = parseJsonArgument("payload", text);
    const key = context.values.key as string | undefined;
    const engine = await context.engine();
    const { duplicate } = await engine.sendEvent(id, name, payload, key === undefined ? {} : { idempotencyKey: key });
    if (context.json) context.print(json({ executionId: id, event: name, duplicate }));
    else context.print(duplicate ? `event '${name}' was already delivered to ${id} with key '${key}'; nothing new stored` : `sent event '${name}' to ${id}`);
    return EXIT.ok;
  },
};

/**
 * `spindle complete <token> [value]`: completeCallback, checked against the workflow's callbacks.
 *
 * @example
 * ```ts
 * await runCli(["complete", token, '{"approved":true}']);
 * ```
 */
export const completeCommand: Command = {
  name: "complete",
  summary: "Complete a callback by its token with a value (checked against the workflow's declared callbacks).",
  details: "Example:\n  spindle complete \"$TOKEN\" '{\"approved\":true}'",
  args: [
    { name: "token", description: "The callback's token." },
    { name: "value", description: "The value, JSON. Default: none.", required: false },
  ],
  needs: "workflows",
  async run(context) {
    const [token, text] = context.positionals as [string, string?];
    const value = parseJsonArgument("value", text);
    const { executionId } = await (await context.engine()).completeCallback(token, value);
    context.print(context.json ? json({ executionId, completed: true }) : `completed the callback of ${executionId}`);
    return EXIT.ok;
  },
};

/**
 * `spindle fail <token> <message> [--name <name>] [--code <code>]`: failCallback.
 *
 * @example
 * ```ts
 * await runCli(["fail", token, "the manager said no", "--name", "Rejected"]);
 * ```
 */
export const failCommand: Command = {
  name: "fail",
  summary: "Fail a callback by its token: the workflow's callback() throws this error.",
  details: 'Example:\n  spindle fail "$TOKEN" "the manager said no" --name Rejected --code REJECTED',
  args: [
    { name: "token", description: "The callback's token." },
    { name: "message", description: "The error's message." },
  ],
  options: {
    name: { type: "string", value: "name", description: "The error's name (default Error)." },
    code: { type: "string", value: "code", description: "The error's code." },
  },
  needs: "store",
  async run(context) {
    const [token, message] = context.positionals as [string, string];
    const name = context.values.name as string | undefined;
    const code = context.values.code as string | undefined;
    const { executionId } = await (await context.engine()).failCallback(token, callbackError(message, name, code));
    context.print(context.json ? json({ executionId, failed: true }) : `failed the callback of ${executionId}`);
    return EXIT.ok;
  },
};

/**
 * The error `spindle fail` delivers: the given name, message and code, and no stack. The engine records an Error's
 * stack, and a `{ name, message, code }` object becomes an Error made inside the engine, whose stack is this CLI's
 * own frames; the history would show them as if the workflow's callback had come from there.
 *
 * @example
 * ```ts
 * await engine.failCallback(token, callbackError("the manager said no", "Rejected", "REJECTED"));
 * ```
 */
export function callbackError(message: string, name?: string, code?: string): Error {
  const error = new Error(message);
  delete (error as { stack?: string }).stack;
  if (name !== undefined) Object.defineProperty(error, "name", { value: name, writable: true, configurable: true, enumerable: false });
  if (code !== undefined) Object.defineProperty(error, "code", { value: code, writable: true, configurable: true, enumerable: false });
  return error;
}
