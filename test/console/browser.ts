// Headless Chromium for the console tests: Debian's /usr/bin/chromium (CI installs it, see .ci/run), driven by
// playwright-core, which downloads no browser of its own. Screenshots go to test/console/artifacts/ (gitignored).
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { chromium } from "playwright-core";

export const ARTIFACTS = fileURLToPath(new URL("./artifacts/", import.meta.url));

/** Launches headless Chromium with the flags a root container with no network needs. */
export async function launchChromium(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
