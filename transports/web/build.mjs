// Builds one minified bundle per entry into dist/ and dist/meta.json with the byte sizes
// (minified, gzip -9, brotli q11) and the bytes each bundle adds over its baseline:
// - the plain demo page per transport over `baseline` (the page without any transport);
// - the React 18 demo page per transport (useRealtimeConnection) over `react-baseline`
//   (the same React page with REST sends only), the figure a React app pays for realtime.
import { build } from "esbuild";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

// The entries come from the transport registry: scripts/build-web.sh writes entries.json
// (`python -m rtspike.transports.server.demo`): {bundle: {src, baseline}} for the measured
// pages, and {src, transports: {name: module}} for the probe, a measurement page that is not in
// the size table and whose entry is generated here from each transport's own probe module.
const ENTRIES_FILE = process.env.RTSPIKE_WEB_ENTRIES || "entries.json";
const DIST = process.env.RTSPIKE_WEB_DIST || "dist";
const NODE_MODULES = resolve("node_modules");
if (!existsSync(ENTRIES_FILE)) {
  console.error(`${ENTRIES_FILE} is missing: build with scripts/build-web.sh (it asks the registry)`);
  process.exit(1);
}
export const ENTRIES = JSON.parse(readFileSync(ENTRIES_FILE, "utf8"));

const files = Object.values(ENTRIES).flatMap((e) => [e.src, ...Object.values(e.transports || {})]);
const missing = files.filter((file) => !existsSync(file));
if (missing.length) {
  console.error(`missing entry files: ${missing.join(", ")}`);
  process.exit(1);
}

/** The probe's entry: every transport's probe module, registered under its registry name. */
function probeEntry(entry) {
  const names = Object.keys(entry.transports);
  const lines = [`import { startProbe } from ${JSON.stringify(entry.src)};`];
  names.forEach((name, i) => lines.push(`import * as t${i} from ${JSON.stringify(entry.transports[name])};`));
  lines.push(`startProbe({ ${names.map((name, i) => `${JSON.stringify(name)}: t${i}`).join(", ")} });`);
  return { contents: lines.join("\n") + "\n", resolveDir: resolve("src"), sourcefile: "probe-entry.js", loader: "js" };
}

function sizes(bytes) {
  const brotli = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
  return { bytes: bytes.length, gzip_bytes: gzipSync(bytes, { level: 9 }).length, brotli_bytes: brotli.length };
}

mkdirSync(DIST, { recursive: true });
const bundles = {};
for (const [name, entry] of Object.entries(ENTRIES)) {
  const outfile = `${DIST}/${name}.js`;
  await build({
    ...(entry.transports ? { stdin: probeEntry(entry) } : { entryPoints: [entry.src] }),
    nodePaths: [NODE_MODULES], // entries may live outside this folder (a transport's own)
    bundle: true,
    minify: true,
    format: "iife",
    target: "es2020",
    jsx: "automatic",
    define: { "process.env.NODE_ENV": '"production"' },
    outfile,
    legalComments: "none",
    logLevel: "warning",
  });
  if (entry.transports) continue;
  bundles[name] = { file: `${name}.js`, baseline: entry.baseline, ...sizes(readFileSync(outfile)) };
}
for (const info of Object.values(bundles)) {
  const base = bundles[info.baseline];
  info.over_baseline_bytes = info.bytes - base.bytes;
  info.over_baseline_gzip_bytes = info.gzip_bytes - base.gzip_bytes;
  info.over_baseline_brotli_bytes = info.brotli_bytes - base.brotli_bytes;
}
const pkg = JSON.parse(readFileSync("package.json", "utf8"));
writeFileSync(
  `${DIST}/meta.json`,
  JSON.stringify(
    { built_at: new Date().toISOString(), dependencies: pkg.dependencies, devDependencies: pkg.devDependencies, bundles },
    null,
    2,
  ) + "\n",
);
