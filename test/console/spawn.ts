// Runs a long-lived command (the example runner, the spindle bin from source) as a real process until it prints the
// console's URL, and stops it with SIGTERM as Ctrl-C would.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** A running console process: its URL, what it printed so far, and a stop that resolves to its exit code. */
export interface ConsoleProcess {
  url: string;
  output(): string;
  stop(): Promise<number | null>;
}

/** Starts `node --import tsx <script> <args>` in the repository; resolves once it prints `Spindle console: <url>`. */
export function spawnConsole(script: string, args: readonly string[], env: Record<string, string> = {}): Promise<ConsoleProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const found = /Spindle console: (http:\/\/\S+)/.exec(output) ?? /"url":\s*"(http:\/\/[^"]+)"/.exec(output);
      if (found) resolve({ url: found[1]!, output: () => output, stop: () => (child.kill("SIGTERM"), exited) });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    void exited.then((code) => reject(new Error(`${script} exited (${code}) before serving the console:\n${output}`)));
  });
}
