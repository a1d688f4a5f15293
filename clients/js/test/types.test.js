// The committed type declarations (types/, from the JSDoc by `npm run types`) match the source.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

test("types/ is what `npm run types` generates from src/ now", () => {
  const out = mkdtempSync(join(tmpdir(), "signed-api-types-"));
  try {
    execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "jsconfig.json"),
      "--noEmit", "false", "--declaration", "--emitDeclarationOnly", "--outDir", out], { cwd: root, stdio: "pipe" });
    const fresh = readdirSync(out).sort();
    assert.deepEqual(readdirSync(join(root, "types")).sort(), fresh);
    for (const name of fresh) {
      assert.equal(readFileSync(join(root, "types", name), "utf8"), readFileSync(join(out, name), "utf8"),
        `types/${name} is stale: run npm run types`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
