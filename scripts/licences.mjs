#!/usr/bin/env node
// Writes src-tauri/licences.json: every Rust crate compiled into the app (normal dependencies of
// koppla-app, for the platforms Koppla ships on, without the workspace's own crates) and every npm
// package bundled into the window (package-lock.json entries that are not dev-only), each with its
// SPDX licence. Help → About shows the committed file; run this after changing dependencies:
//   node scripts/licences.mjs
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("..", import.meta.url));
const TARGETS = ["x86_64-unknown-linux-gnu", "x86_64-pc-windows-msvc", "aarch64-apple-darwin"];

function rustCrates() {
  const found = new Map();
  for (const target of TARGETS) {
    const metadata = JSON.parse(
      execFileSync("cargo", ["metadata", "--format-version", "1", "--locked", "--filter-platform", target], {
        cwd: repo,
        maxBuffer: 256 * 1024 * 1024,
      }),
    );
    const packages = new Map(metadata.packages.map((p) => [p.id, p]));
    const members = new Set(metadata.workspace_members);
    const nodes = new Map(metadata.resolve.nodes.map((n) => [n.id, n]));
    const app = metadata.packages.find((p) => p.name === "koppla-app");
    // Walk normal (shipped) dependencies only: build scripts and tests are not in the app.
    const seen = new Set();
    const queue = [app.id];
    while (queue.length > 0) {
      const id = queue.pop();
      if (seen.has(id)) continue;
      seen.add(id);
      for (const dep of nodes.get(id)?.deps ?? []) {
        if (dep.dep_kinds.some((kind) => kind.kind === null)) queue.push(dep.pkg);
      }
    }
    for (const id of seen) {
      if (members.has(id)) continue;
      const p = packages.get(id);
      found.set(`${p.name} ${p.version}`, { name: p.name, version: p.version, license: p.license ?? "unknown" });
    }
  }
  return [...found.values()];
}

function npmPackages() {
  const lock = JSON.parse(readFileSync(`${repo}/package-lock.json`, "utf8"));
  return Object.entries(lock.packages)
    .filter(([path, p]) => path.startsWith("node_modules/") && !p.dev && !p.devOptional)
    .map(([path, p]) => ({
      name: path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length),
      version: p.version,
      license: p.license ?? "unknown",
    }));
}

const byName = (a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version);
const licences = { crates: rustCrates().sort(byName), npm: npmPackages().sort(byName) };
writeFileSync(`${repo}/src-tauri/licences.json`, `${JSON.stringify(licences, null, 1)}\n`);
console.log(`src-tauri/licences.json: ${licences.crates.length} crates, ${licences.npm.length} npm packages`);
