#!/usr/bin/env node
// The `spindle` bin (dist/cli.js): runs the command line on this process's arguments and streams, and exits with its
// code once both streams have flushed what was written (a handle the config left open never keeps it running).
import { runCli } from "./run.js";

const flushed = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write("", () => resolve()));

void runCli(process.argv.slice(2)).then(async (code) => {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
});
