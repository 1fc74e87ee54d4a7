// Builds the console's page from its sources (src/console/page): the browser script bundled and minified with
// esbuild, the style sheet and the HTML shell read as they are. Runs at build time (tsup.config.ts puts the result in
// the published package, so esbuild is never needed there) and, from a checkout, when the console starts.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/**
 * The page's three files, as text.
 *
 * @example
 * ```ts
 * const { html, script, style } = await bundleConsolePage();
 * ```
 */
export interface PageAssets {
  /** The HTML shell; `{{secret}}` and `{{actions}}` are filled in per start. */
  html: string;
  script: string;
  style: string;
}

/** The page's sources, beside this file in a checkout. */
const PAGE_DIR = fileURLToPath(new URL("./page/", import.meta.url));

/**
 * Bundles the page with esbuild (a devDependency: only a checkout or the build calls this).
 *
 * @example
 * ```ts
 * const assets = await bundleConsolePage(); // assets.script: one minified IIFE
 * ```
 */
export async function bundleConsolePage(pageDir: string = PAGE_DIR): Promise<PageAssets> {
  const dir = pageDir.endsWith("/") ? pageDir : `${pageDir}/`;
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [`${dir}main.ts`],
    bundle: true,
    minify: true,
    write: false,
    format: "iife",
    target: "es2020",
    platform: "browser",
    legalComments: "none",
    logLevel: "error",
  });
  const [html, style] = await Promise.all([readFile(`${dir}index.html`, "utf8"), readFile(`${dir}style.css`, "utf8")]);
  return { html, script: result.outputFiles[0]!.text, style };
}
