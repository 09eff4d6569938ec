// Builds one minified bundle per transport into dist/ (issue: resilient client + demo page).
import { build } from "esbuild";
import { existsSync, mkdirSync } from "node:fs";

const entries = ["socketio", "sse", "ws"].filter((n) => existsSync(`src/${n}.js`));
mkdirSync("dist", { recursive: true });
for (const name of entries) {
  await build({
    entryPoints: [`src/${name}.js`],
    bundle: true,
    minify: true,
    format: "iife",
    target: "es2020",
    outfile: `dist/${name}.js`,
    metafile: false,
    logLevel: "warning",
  });
}
