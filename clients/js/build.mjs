// Builds the browser bundle of the package: src/index.js and its dependencies as one ES module,
// signed_api/static/signed_api/signed-api.js (served by Django's staticfiles, used by the demo page).
//
//   node build.mjs                 write the committed bundle
//   node build.mjs OUT.js          write it to OUT.js instead (tests/test_js_bundle.py builds into a
//                                  temp dir and compares with the committed file)
//   node build.mjs --check         exit 1 when the committed bundle differs from a fresh build
//
// Deterministic: esbuild is pinned in package.json/package-lock.json, every option is fixed here,
// the working directory is this directory (so the "// node_modules/..." path comments are relative,
// never absolute), and nothing time- or machine-dependent (no date, no version banner) goes in.
//
// Not minified, on purpose: the bundle is committed and served to browsers that sign with it, so a
// reviewer can read it and a diff of it shows what changed (about 195 KB; gzip on the wire takes
// most of that back). Legal comments (licence headers of the dependencies) are kept in place.
import { build } from "esbuild";
import { readFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const committed = resolve(here, "../../signed_api/static/signed_api/signed-api.js");

const OPTIONS = {
  absWorkingDir: here,
  entryPoints: ["src/index.js"],
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2022"],
  minify: false,
  legalComments: "inline",
  charset: "utf8",
  sourcemap: false,
  metafile: false,
  treeShaking: true,
  logLevel: "warning",
  write: false,
  outfile: "signed-api.js",
  banner: {
    js: "// signed-api-client browser bundle, built from clients/js by `make js` (clients/js/build.mjs). Do not edit.",
  },
};

async function bundle() {
  const result = await build(OPTIONS);
  return result.outputFiles[0].contents;
}

const args = process.argv.slice(2);
const code = await bundle();
if (args[0] === "--check") {
  let current = null;
  try {
    current = readFileSync(committed);
  } catch {
    // missing: differs
  }
  if (current === null || Buffer.compare(current, Buffer.from(code)) !== 0) {
    console.error(`${committed} differs from a fresh build: run \`make js\` and commit it`);
    process.exit(1);
  }
  console.log("bundle is up to date");
} else {
  const out = args[0] ? resolve(process.cwd(), args[0]) : committed;
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, code);
  console.log(`wrote ${out} (${code.length} bytes)`);
}
