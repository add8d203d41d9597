#!/usr/bin/env bash
# Runs every check and test Koppla has, the same way locally and in CI (.ci/run calls this).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
step() { printf '\n=== %s (%s)\n' "$1" "$(date +%T)"; }

step "setup"
./scripts/setup.sh
# The CardDAV tests must run against the real server, never skip.
export KOPPLA_RADICALE_PYTHON="${KOPPLA_RADICALE_VENV:-$HOME/.cache/koppla-radicale-venv}/bin/python"
export KOPPLA_REQUIRE_RADICALE=1

step "format and lint"
cargo fmt --all -- --check
npm run typecheck

step "UI unit tests (vitest)"
npm test

step "UI in headless Chromium with mocked IPC (screenshots in test-output/screenshots)"
npm run test:browser

step "UI build"
npm run build

step "Windows/macOS type check and clippy start in the background (log: test-output/cross-check.log)"
# It needs the UI build (tauri::generate_context! embeds ui/dist). At the lowest priority it only
# takes CPU the Linux steps leave idle (the interop tests mostly wait on real time), so it adds
# little wall time; the result is collected after the webview tests.
mkdir -p test-output
setsid nice -n 19 ./scripts/cross-check.sh > test-output/cross-check.log 2>&1 &
cross_check=$!
# If a later step fails, stop the check (its own process group) instead of leaving it running.
trap 'kill -- "-$cross_check" 2>/dev/null || true' EXIT

step "fuzz targets start in the background (log: test-output/fuzz.log)"
# Every cargo-fuzz target for KOPPLA_FUZZ_SECS (20) s each, built with nightly into a target dir
# in ~/.cache that outlives the checkout (docs/fuzzing.md). Lowest priority like the cross check.
setsid nice -n 19 ./scripts/fuzz.sh > test-output/fuzz.log 2>&1 &
fuzz=$!
trap 'kill -- "-$cross_check" 2>/dev/null || true; kill -- "-$fuzz" 2>/dev/null || true' EXIT

step "clippy"
cargo clippy --workspace --all-targets --features koppla-app/custom-protocol -- -D warnings

step "build binaries the end-to-end tests drive"
cargo build --workspace --bins --features koppla-app/custom-protocol

step "Rust tests: unit, simulated calls, interop with real peers, desktop app under Xvfb"
# The interop tests drive the CLI just built above instead of building it again themselves.
export KOPPLA_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/koppla"
cargo test --workspace --features koppla-app/custom-protocol --no-fail-fast

step "the real app in its real webview (tauri-driver + WebKitWebDriver under Xvfb)"
npm run test:webview

step "generated TypeScript bindings match the Rust types"
if ! git diff --exit-code -- ui/src/bindings || [ -n "$(git ls-files --others --exclude-standard ui/src/bindings)" ]; then
  echo "ui/src/bindings drifted from the Rust types: run the tests and commit the result" >&2
  exit 1
fi

step "Windows and macOS checks (clippy -D warnings)"
if ! wait "$cross_check"; then
  tail -n 60 test-output/cross-check.log >&2
  echo "the Windows/macOS check failed: see test-output/cross-check.log" >&2
  exit 1
fi
tail -n 3 test-output/cross-check.log

step "fuzz targets (bounded time each; crash inputs are printed in the log)"
if ! wait "$fuzz"; then
  tail -n 80 test-output/fuzz.log >&2
  echo "a fuzz target failed: see test-output/fuzz.log" >&2
  exit 1
fi
sed -n '/^fuzz summary/,$p' test-output/fuzz.log

step "done"
