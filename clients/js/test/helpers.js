// Shared by the tests: the repository's vector files, read from disk (no network).
import { readFileSync } from "node:fs";

/** @param {string} name a file of tests/unit/vectors/ */
export function repoVector(name) {
  return JSON.parse(readFileSync(new URL(`../../../tests/unit/vectors/${name}`, import.meta.url), "utf8"));
}

/** @param {string} name a file of clients/js/test/vectors/ */
export function localVector(name) {
  return JSON.parse(readFileSync(new URL(`./vectors/${name}`, import.meta.url), "utf8"));
}

/** The bytes of an RFC hex dump (the hex columns, without the text on the right). */
export function unhex(dump) {
  const hex = dump.trim().split("\n").map((l) => l.slice(0, 36).replace(/\s+/g, "")).join("");
  return Uint8Array.from(hex.match(/../g) || [], (b) => parseInt(b, 16));
}
