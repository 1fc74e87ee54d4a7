#!/usr/bin/env bash
# The lean install, as a user gets it: `npm pack` the built package, `npm install <tarball> zod` in an empty project,
# then check that no @aws-sdk package came along (it is an optional peer, needed only by spindle/dynamodb), that
# the tarball ships no source map with embedded sources, that the README's workflow runs (smoke.mjs), and that the
# spindle bin runs.
# Needs `npm run build` first. Run by .ci/run after the tests, or by hand: bash test/pack/lean-install.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
fail() { echo "lean install: $*" >&2; exit 1; }

[ -f "$root/dist/index.js" ] || fail "dist/ is missing: run npm run build first"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/pack" "$work/app"

echo "lean install: npm pack"
(cd "$root" && npm pack --pack-destination "$work/pack" --json --ignore-scripts) > "$work/pack.json" || fail "npm pack failed"
tarball="$(node -e 'const [r]=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(r.filename)' "$work/pack.json")"
node - "$work/pack.json" "$root" <<'JS' || fail "the tarball's contents are wrong"
process.on("uncaughtException", (error) => { console.error(`lean install: ${error.message}`); process.exit(1); });
const fs = require("fs");
const [report] = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const files = report.files.map((file) => file.path);
const required = ["package.json", "README.md", "LICENSE", "dist/index.js", "dist/index.cjs", "dist/index.d.ts", "dist/dynamodb/index.js"];
for (const file of required) {
  if (!files.includes(file)) throw new Error(`the tarball lacks ${file}`);
}
const embedded = files.filter((file) => file.endsWith(".map") && fs.readFileSync(`${process.argv[3]}/${file}`, "utf8").includes('"sourcesContent"'));
if (embedded.length > 0) throw new Error(`source maps with embedded sources: ${embedded.join(", ")} (build without SPINDLE_SOURCEMAP=1)`);
const outside = files.filter((file) => !/^(dist\/|package\.json$|README\.md$|LICENSE$)/.test(file));
if (outside.length > 0) throw new Error(`files outside dist/: ${outside.join(", ")}`);
const maps = files.filter((file) => file.endsWith(".map")).length;
const kb = (bytes) => `${(bytes / 1024).toFixed(0)} KB`;
console.log(`lean install: ${report.filename}: ${files.length} files (${maps} source maps), ${kb(report.size)} packed, ${kb(report.unpackedSize)} unpacked`);
JS

echo "lean install: npm install $tarball zod (in an empty project)"
cd "$work/app"
printf '{ "name": "lean-install-check", "version": "1.0.0", "private": true, "type": "module" }\n' > package.json
npm install "$work/pack/$tarball" zod --prefer-offline --no-audit --no-fund --ignore-scripts --loglevel=error || fail "npm install failed"

[ ! -e node_modules/@aws-sdk ] || fail "node_modules/@aws-sdk exists: $(ls node_modules/@aws-sdk | tr '\n' ' ')"
installed="$(node -e '
const fs = require("fs");
const names = fs.readdirSync("node_modules").filter((name) => !name.startsWith("."));
console.log(names.flatMap((name) => (name.startsWith("@") ? fs.readdirSync(`node_modules/${name}`).map((inner) => `${name}/${inner}`) : [name])).sort().join(" "));
')"
[ "$installed" = "croner spindle ulid zod" ] || fail "expected croner, spindle, ulid and zod only in node_modules, found: $installed"
echo "lean install: node_modules holds $installed ($(du -sk node_modules | cut -f1) KB), no @aws-sdk"

cp "$root/test/pack/smoke.mjs" .
node smoke.mjs || fail "the README workflow failed"

# The spindle bin, as npx finds it in node_modules/.bin: help, a plain .mjs config over MemoryStore, and --table
# without the AWS SDK (an optional peer) answering exit 4 with the package to install, in one line.
npx --no -- spindle --help > "$work/help.txt" || fail "npx spindle --help failed"
grep -q '^spindle [0-9.]*: inspect and operate' "$work/help.txt" || fail "npx spindle --help printed: $(head -1 "$work/help.txt")"
printf 'import { MemoryStore } from "spindle";\nexport default { store: new MemoryStore() };\n' > spindle.config.mjs
npx --no -- spindle list --json > "$work/list.json" || fail "npx spindle list failed: $(cat "$work/list.json")"
if npx --no -- spindle list --table orders --region us-east-1 2> "$work/sdk.txt"; then fail "spindle --table ran without the AWS SDK"; else code=$?; fi
[ "$code" = 4 ] && grep -q 'npm install @aws-sdk/client-dynamodb @aws-sdk/lib-dynamodb' "$work/sdk.txt" \
  || fail "spindle --table without the AWS SDK: exit $code, $(cat "$work/sdk.txt")"
# A .ts config without tsx (an optional peer) on a Node that cannot load TypeScript: exit 4, one line naming tsx.
mkdir ts-config
printf 'import { MemoryStore } from "spindle";\nexport const store: MemoryStore = new MemoryStore();\n' > ts-config/spindle.config.ts
if (cd ts-config && npx --no -- spindle list 2> "$work/tsx.txt"); then
  node -e 'process.exit(typeof process.features.typescript === "string" ? 0 : 1)' || fail "a .ts config loaded without tsx on a Node that cannot strip types"
else
  code=$?
  [ "$code" = 4 ] && [ "$(wc -l < "$work/tsx.txt")" = 1 ] && grep -q 'install tsx (npm install -D tsx), or write spindle.config.js' "$work/tsx.txt" \
    || fail "a .ts config without tsx: exit $code, $(cat "$work/tsx.txt")"
fi
echo "lean install: npx spindle --help, list on a .mjs config, --table without the SDK and a .ts config without tsx (exit 4) work"
echo "lean install: passed"
