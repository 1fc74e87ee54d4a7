// Builds the real-crash child process (child.ts and what it imports: the engine, the DynamoDB adapter, the AWS SDK)
// into one ES module file with esbuild, once per run (under a second), so each child starts with plain `node` in
// about 0.4 s instead of the 1.3 s `node --import tsx` takes to compile the sources on every start.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/** Bundles the child into a new temporary directory; `remove()` deletes it. */
export async function buildChild(): Promise<{ file: string; remove(): void }> {
  const dir = mkdtempSync(join(tmpdir(), "spindle-crash-"));
  const file = join(dir, "child.mjs");
  await build({
    entryPoints: [fileURLToPath(new URL("./child.ts", import.meta.url))],
    tsconfig: fileURLToPath(new URL("../../../tsconfig.json", import.meta.url)),
    outfile: file,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
    // The AWS SDK has CommonJS parts that call require().
    banner: { js: "import { createRequire as __spindleRequire } from 'node:module'; const require = __spindleRequire(import.meta.url);" },
  });
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
