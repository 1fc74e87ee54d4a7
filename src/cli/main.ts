#!/usr/bin/env node
// The `spindle` bin (dist/cli.js): runs the command line on this process's arguments and streams, and exits with its
// code once both streams have flushed what was written (a handle the config left open never keeps it running).
import { runCli } from "./run.js";

// A reader that stops early (`spindle export x | head`) closes the pipe: that ends the output, it is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const flushed = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write("", () => resolve()));

void runCli(process.argv.slice(2)).then(async (code) => {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
});
