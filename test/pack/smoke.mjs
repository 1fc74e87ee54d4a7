// The README's first workflow, run from an installed tarball (test/pack/lean-install.sh copies this file into an
// empty project that ran `npm install <tarball> zod`): it imports "spindle" by its public name, defines a workflow
// with a step and a sleep, runs it on MemoryStore and prints the result. Every entry point but spindle/dynamodb loads
// without the AWS SDK; spindle/dynamodb says which package is missing; spindle/console serves its built page;
// spindle/otel needs @opentelemetry/api, an optional peer that the lean install leaves out (nothing else imports it).
import { z } from "zod";
import { createEngine, MemoryStore, sleep, step, workflow } from "spindle";

const greet = workflow("greet", { input: z.object({ name: z.string() }) }, async function* (input) {
  const greeting = yield* step("compose", () => `Hello, ${input.name}!`);
  yield* sleep("50ms");
  return yield* step("shout", () => greeting.toUpperCase());
});

const engine = createEngine({ store: new MemoryStore(), workflows: [greet] });
const run = await engine.start(greet, { name: "Spindle" }, { id: "greet-1" });
const result = await run.result();
const history = await engine.history("greet-1");
await engine.close();
console.log(`result: ${JSON.stringify(result)} (${history.length} events: ${history.map((event) => event.type).join(", ")})`);
if (result !== "HELLO, SPINDLE!") throw new Error(`unexpected result ${JSON.stringify(result)}`);
if (!history.some((event) => event.type.startsWith("Timer"))) throw new Error("the sleep left no timer in the history");

for (const entry of ["spindle/store", "spindle/testing", "spindle/lambda"]) {
  const module = await import(entry);
  console.log(`${entry}: loads without the AWS SDK (${Object.keys(module).length} exports)`);
}
// The console's page is built into the package: it serves from the tarball with no esbuild or browser installed.
{
  const { startConsole } = await import("spindle/console");
  const running = await startConsole({ store: new MemoryStore(), workflows: [greet], port: 0 });
  try {
    const page = await fetch(running.url);
    const script = await fetch(`${running.url}app.js`);
    const html = await page.text();
    const code = await script.text();
    if (page.status !== 200 || !html.includes('src="/app.js"') || script.status !== 200 || code.length < 1000) {
      throw new Error(`spindle/console did not serve its page (${page.status}, ${script.status}, ${code.length} bytes of script)`);
    }
    console.log(`spindle/console: serves its page from the package (${((html.length + code.length) / 1024).toFixed(0)} KB of HTML and script)`);
  } finally {
    await running.close();
  }
}
try {
  await import("spindle/dynamodb");
  throw new Error("spindle/dynamodb loaded, yet no @aws-sdk package is installed");
} catch (error) {
  if (error?.code !== "ERR_MODULE_NOT_FOUND" || !/@aws-sdk\//.test(error.message)) throw error;
  console.log(`spindle/dynamodb: needs the optional peers (${/'(@aws-sdk\/[^']+)'/.exec(error.message)?.[1]} is not installed)`);
}
try {
  await import("spindle/otel");
  throw new Error("spindle/otel loaded, yet @opentelemetry/api is not installed");
} catch (error) {
  if (error?.code !== "ERR_MODULE_NOT_FOUND" || !/@opentelemetry\/api/.test(error.message)) throw error;
  console.log("spindle/otel: needs the optional peer @opentelemetry/api (not installed); the workflow above ran without it");
}
