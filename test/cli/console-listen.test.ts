// spindle console's refusals to listen: an address this machine cannot bind is the --host's fault (LISTEN_FAILED,
// exit 4), never reported as a store that could not be reached.
import { describe, expect, it } from "vitest";
import { EXIT } from "../../src/cli/errors.js";
import { withConfig } from "./helpers.js";

describe("spindle console --host", () => {
  it.each(["256.1.1.1", "no-such-host.invalid"])("refuses %s as an address to listen on, naming --host (LISTEN_FAILED, exit 4)", async (host) => {
    const run = await withConfig("console", "--host", host, "--port", "0");
    expect(run.code).toBe(EXIT.unavailable);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(
      new RegExp(`^spindle console: cannot listen on ${host.replace(/\./g, "\\.")}:0 \\((ENOTFOUND|EAI_AGAIN|EAI_FAIL)\\): --host ${host.replace(/\./g, "\\.")} is not an address of this machine\\. .*\\(LISTEN_FAILED\\)\\n$`),
    );
    expect(run.stderr).not.toMatch(/store could not be reached/);
  });
});
