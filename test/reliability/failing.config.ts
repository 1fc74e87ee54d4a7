// Vitest config for the reliability scenarios that fail today because of engine bugs (they are kept out of
// `npm test` so it stays green while the bugs are fixed): `npx vitest run -c test/reliability/failing.config.ts`.
// Once they pass, move their tests back into a `*.test.ts` file.
import { defineConfig } from "vitest/config";
import base from "../../vitest.config.js";

export default defineConfig({ ...base, test: { ...base.test, include: ["test/reliability/**/*.failing.ts"] } });
