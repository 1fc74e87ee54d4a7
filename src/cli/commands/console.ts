// `spindle console`: the Spindle console (spindle/console) over the configured store and workflows, served from this
// process until Ctrl-C. Read-only unless --allow-actions; bound to 127.0.0.1 unless --host says otherwise. The
// engine is the CLI's own (external mode): actions record the command, your workers run the turns; Resume runs
// one turn here, with the config's workflow code.
import { startConsole } from "../../console/server.js";
import { CliError, EXIT, usageError } from "../errors.js";
import { json } from "../output.js";
import type { Command } from "./types.js";

/** `spindle console [--port 4300] [--host 127.0.0.1] [--allow-actions]`. */
export const consoleCommand: Command = {
  name: "console",
  summary: "Serve a local web page of the executions (a waterfall each) until Ctrl-C; --allow-actions to act on them.",
  details:
    "Bound to 127.0.0.1, read-only by default. With --allow-actions the page can send events (checked against the\n" +
    "workflow's schema), complete or fail callbacks, cancel, terminate, resume and redrive; each action carries a\n" +
    "secret made at start and held only by the page. Actions record the command; your workers run the turns\n" +
    "(Resume runs one here, with the config's workflows). --json prints { url, allowActions } once it listens.",
  options: {
    port: { type: "string", short: "p", value: "n", description: "Port to listen on (default 4300; 0 picks a free one)." },
    host: { type: "string", value: "address", description: "Address to bind (default 127.0.0.1; another one exposes the executions; 0.0.0.0 answers only to IP addresses and localhost, never a DNS name)." },
    "allow-actions": { type: "boolean", description: "Allow actions (send, complete, fail, cancel, terminate, resume, redrive)." },
    open: { type: "boolean", description: "Open the page in the desktop's browser." },
  },
  needs: "store",
  async run(context) {
    const portText = context.values.port as string | undefined;
    const port = portText === undefined ? 4300 : Number(portText);
    if (portText !== undefined && (!/^\d+$/.test(portText) || port > 65_535)) {
      throw usageError(`--port must be a whole number from 0 to 65535, got '${portText}'.`);
    }
    const host = (context.values.host as string | undefined) ?? "127.0.0.1";
    const allowActions = context.values["allow-actions"] === true;
    const { workflows, source } = await context.config();
    const engine = await context.engine();
    const open = context.values.open === true;
    // The handlers go in before the URL is printed (a signal that finds none kills the process at once), and come
    // out however the command ends.
    let stop = () => {};
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    try {
      const running = await startConsole({ engine, workflows, port, host, allowActions, open }).catch((error: unknown) => {
        const code = (error as { code?: unknown }).code;
        // A name or address this machine cannot bind (256.1.1.1, a typo): the address lookup fails, not a store.
        if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_FAIL") {
          throw new CliError(
            `cannot listen on ${host}:${port} (${String(code)}): --host ${host} is not an address of this machine. Pass ` +
              `--host 127.0.0.1 (the default), or one of this machine's addresses.`,
            { exit: EXIT.unavailable, code: "LISTEN_FAILED" },
          );
        }
        if (code === "EADDRINUSE" || code === "EADDRNOTAVAIL" || code === "EACCES") {
          throw new CliError(`cannot listen on ${host}:${port} (${String(code)}): pass another --port (0 picks a free one) or --host.`, {
            exit: EXIT.unavailable,
            code: "LISTEN_FAILED",
          });
        }
        throw error;
      });
      if (context.json) context.print(json({ url: running.url, allowActions }));
      else {
        context.print(`Spindle console: ${running.url}`);
        context.note(`over ${source}; ${allowActions ? "actions allowed" : "read-only (--allow-actions to act)"}; Ctrl-C to stop`);
        if (open && !running.opened) context.note("no browser to open here (xdg-open, open or start): open the URL yourself");
      }
      await stopped;
      await running.close();
    } finally {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
    }
    return EXIT.ok;
  },
};
