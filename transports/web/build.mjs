// Builds one minified bundle per entry into dist/ (the demo page's client for each transport,
// plus `baseline`: the page without any transport, the "before" of the size comparison), and
// dist/meta.json with the byte sizes.
import { build } from "esbuild";
import { gzipSync } from "node:zlib";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";

export const ENTRIES = ["baseline", "socketio", "sse", "ws"];

const missing = ENTRIES.filter((n) => !existsSync(`src/${n}.js`));
if (missing.length) {
  console.error(`missing entry files: ${missing.map((n) => `src/${n}.js`).join(", ")}`);
  process.exit(1);
}
mkdirSync("dist", { recursive: true });
const bundles = {};
for (const name of ENTRIES) {
  const outfile = `dist/${name}.js`;
  await build({
    entryPoints: [`src/${name}.js`],
    bundle: true,
    minify: true,
    format: "iife",
    target: "es2020",
    outfile,
    legalComments: "none",
    logLevel: "warning",
  });
  const bytes = readFileSync(outfile);
  bundles[name] = { file: `${name}.js`, bytes: bytes.length, gzip_bytes: gzipSync(bytes, { level: 9 }).length };
}
const base = bundles.baseline.bytes;
for (const [name, info] of Object.entries(bundles)) info.over_baseline_bytes = info.bytes - base;
const pkg = JSON.parse(readFileSync("package.json", "utf8"));
writeFileSync(
  "dist/meta.json",
  JSON.stringify({ built_at: new Date().toISOString(), dependencies: pkg.dependencies, bundles }, null, 2) + "\n",
);
