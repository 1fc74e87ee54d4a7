// Opens the console's URL in the user's browser: the platform's opener (`open` on macOS, `start` on Windows,
// `xdg-open` elsewhere), detached, its output ignored. Failing to open is not an error: the URL is printed anyway.
import { spawn } from "node:child_process";

/**
 * Asks the desktop to open `url`; resolves true when the opener started, false when there is none (a server, CI).
 *
 * @example
 * ```ts
 * if (!(await openInBrowser(running.url))) console.log(`Open ${running.url}`);
 * ```
 */
export function openInBrowser(url: string): Promise<boolean> {
  const [command, args] =
    process.platform === "darwin"
      ? ["open", [url]]
      : process.platform === "win32"
        ? ["cmd", ["/c", "start", "", url]]
        : ["xdg-open", [url]];
  return new Promise((resolve) => {
    try {
      const child = spawn(command, args, { detached: true, stdio: "ignore" });
      child.once("error", () => resolve(false));
      child.once("spawn", () => {
        child.unref();
        resolve(true);
      });
    } catch {
      resolve(false);
    }
  });
}
