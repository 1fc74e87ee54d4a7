// Where the console's page comes from. In a checkout the page is bundled from its sources on first use (esbuild, a
// devDependency); the published build replaces this module with the bundled text (see tsup.config.ts), so an
// installed package serves the same page without esbuild.
import type { PageAssets } from "./bundle-page.js";

let assets: Promise<PageAssets> | undefined;

/**
 * The page's HTML shell, script and style sheet.
 * @internal
 */
export function pageAssets(): Promise<PageAssets> {
  assets ??= import("./bundle-page.js").then(({ bundleConsolePage }) => bundleConsolePage());
  return assets;
}
