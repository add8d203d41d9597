#!/usr/bin/env bash
# Runs every cargo-fuzz target in the repository (each crates/*/fuzz and tests/interop/fuzz) for
# a bounded time and fails if any of them finds a crash, a hang or runaway memory. CI runs it
# from scripts/test.sh in the background; docs/fuzzing.md lists the targets.
#
#   scripts/fuzz.sh                      every target, KOPPLA_FUZZ_SECS (20) seconds each
#   scripts/fuzz.sh parse agent_input    only these targets
#
# Environment:
#   KOPPLA_FUZZ_SECS        seconds per target (libFuzzer -max_total_time), default 20
#   KOPPLA_FUZZ_CACHE       corpora the fuzzer grows, crash artifacts, logs: ~/.cache/koppla-fuzz
#   KOPPLA_FUZZ_TARGET_DIR  one cargo target dir for all fuzz crates: ~/.cache/koppla-fuzz-target
#   KOPPLA_FUZZ_SANITIZER   none (default) or address
#
# The build is cargo-fuzz's (nightly, libFuzzer, optimised with debug assertions and overflow
# checks on), into one target dir outside the checkout so a warm run only rebuilds what changed
# and dependencies shared by the fuzz crates are compiled once. Without a sanitizer: the code
# under test is safe Rust, where what a fuzzer finds is panics, overflows, hangs and unbounded
# memory, all of which libFuzzer reports without one, at about twice the speed.
#
# Each target starts from its checked-in seeds (seeds/<target>, else seeds/) plus the corpus it
# grew in earlier runs (in the cache), so coverage builds up across CI runs. A crash leaves its
# input in $KOPPLA_FUZZ_CACHE/artifacts/<crate>/<target>/; reproduce with the printed command,
# and once fixed, add the input to the target's seeds so the stable `cargo test` keeps it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SECS="${KOPPLA_FUZZ_SECS:-20}"
CACHE="${KOPPLA_FUZZ_CACHE:-$HOME/.cache/koppla-fuzz}"
TARGET_DIR="${KOPPLA_FUZZ_TARGET_DIR:-$HOME/.cache/koppla-fuzz-target}"
SANITIZER="${KOPPLA_FUZZ_SANITIZER:-none}"
CARGO_FUZZ_VERSION=0.13.2
TRIPLE=x86_64-unknown-linux-gnu
ONLY=("$@")

export CARGO_TERM_COLOR=never
# cargo-fuzz and its build need nightly; nightly is installed by rustup next to stable.
export RUSTUP_TOOLCHAIN="${KOPPLA_FUZZ_TOOLCHAIN:-nightly}"
export PATH="$HOME/.cargo/bin:$PATH"

if ! cargo fuzz --version 2>/dev/null | grep -q " $CARGO_FUZZ_VERSION\$"; then
  echo "installing cargo-fuzz $CARGO_FUZZ_VERSION into ~/.cargo/bin"
  RUSTUP_TOOLCHAIN=stable cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

mkdir -p "$CACHE/logs"
# Every fuzz crate: a directory named fuzz with a Cargo.toml marked for cargo-fuzz.
mapfile -t FUZZ_DIRS < <(find crates tests -maxdepth 3 -path '*/fuzz/Cargo.toml' -print |
  xargs grep -l '^cargo-fuzz = true' | xargs -n1 dirname | sort)

wanted() {
  [ ${#ONLY[@]} -eq 0 ] && return 0
  local t
  for t in "${ONLY[@]}"; do [ "$t" = "$1" ] && return 0; done
  return 1
}

started=$SECONDS
rows=()
failed=0
for dir in "${FUZZ_DIRS[@]}"; do
  crate_dir=$(dirname "$dir")
  crate=$(basename "$crate_dir")
  mapfile -t targets < <(sed -n 's/^name = "\(.*\)"$/\1/p' "$dir/Cargo.toml" | tail -n +2)
  todo=()
  for t in "${targets[@]}"; do wanted "$t" && todo+=("$t"); done
  [ ${#todo[@]} -eq 0 ] && continue

  echo "=== building $dir (${todo[*]})"
  build_start=$SECONDS
  if ! (cd "$crate_dir" && cargo fuzz build --sanitizer "$SANITIZER" --target-dir "$TARGET_DIR" \
      --codegen-units 16); then
    echo "FAILED to build $dir" >&2
    rows+=("$(printf '%-24s %-18s %12s %8s  %s' "$crate" "(build)" - - "BUILD FAILED")")
    failed=1
    continue
  fi
  echo "built in $((SECONDS - build_start)) s"

  for t in "${todo[@]}"; do
    bin="$TARGET_DIR/$TRIPLE/release/$t"
    corpus="$CACHE/corpus/$crate/$t"
    artifacts="$CACHE/artifacts/$crate/$t/"
    log="$CACHE/logs/$crate-$t.log"
    mkdir -p "$corpus" "$artifacts"
    seeds=()
    if [ -d "$dir/seeds/$t" ]; then
      seeds=("$dir/seeds/$t")
    elif [ -d "$dir/seeds" ]; then
      seeds=("$dir/seeds")
    fi
    echo "=== $crate/$t for $SECS s (seeds: ${seeds[*]:-none}, corpus: $corpus)"
    rc=0
    run_start=$SECONDS
    # -timeout: one input running this long is a hang; -rss_limit_mb: runaway memory is a bug.
    "$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$artifacts" "$corpus" "${seeds[@]}" > "$log" 2>&1 || rc=$?
    secs=$((SECONDS - run_start))
    # Printed at the end whether the run passed or crashed.
    runs=$(sed -n 's/^stat::number_of_executed_units: \([0-9]*\)/\1/p' "$log" | tail -n1)
    if [ "$rc" -eq 0 ]; then
      result=ok
    else
      failed=1
      crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n1)
      result="FAILED (exit $rc)"
      echo "--- $crate/$t failed; last lines of $log:" >&2
      grep -v '^#[0-9]' "$log" | tail -n 40 >&2
      if [ -n "$crash" ]; then
        result="FAILED: $crash"
        echo "crashing input: $crash" >&2
        echo "  hex: $(head -c 2048 "$crash" | od -An -tx1 -v | tr -d ' \n')" >&2
        echo "  reproduce: (cd $ROOT/$crate_dir && cargo +nightly fuzz run -s $SANITIZER $t $crash)" >&2
      fi
    fi
    rows+=("$(printf '%-24s %-18s %12s %8s  %s' "$crate" "$t" "${runs:--}" "${secs:--}" "$result")")
  done
done

echo
echo "fuzz summary ($SECS s per target, $((SECONDS - started)) s in all, sanitizer $SANITIZER)"
printf '%-24s %-18s %12s %8s  %s\n' crate target runs seconds result
printf '%s\n' "${rows[@]}"
if [ "$failed" -ne 0 ]; then
  echo "fuzzing found a problem (crash inputs and logs under $CACHE)" >&2
  exit 1
fi
