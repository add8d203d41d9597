#!/usr/bin/env bash
# Type-checks and lints the whole workspace for Windows (x86_64-pc-windows-gnu), and the crates
# that build without the Apple SDK for macOS (aarch64-apple-darwin), on this Linux machine, so
# platform code (cfg(windows), the `windows` crate, WebView2, cpal's CoreAudio back end) never
# breaks unseen.
#
# rustup cannot fetch targets here, so this uses Debian's second toolchain (rustc-web/cargo-web,
# Rust 1.96) and builds std for the target from its shipped sources (rust-web-src) with
# -Zbuild-std; RUSTC_BOOTSTRAP unlocks that flag on a stable compiler. C code in build scripts is
# compiled with mingw-w64. See docs/decisions/0800-cross-os-checks.md (also for what macOS leaves
# unchecked and why).
#
# It runs clippy (which type-checks as it goes) with -D warnings over every target of every crate,
# so Windows-only code meets the same bar as Linux code.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(rustc-web cargo-web rust-web-src rust-web-clippy gcc-mingw-w64-x86-64)
source scripts/apt-install.sh
apt_install "${APT_PACKAGES[@]}"

TARGET=x86_64-pc-windows-gnu
# A target dir of its own that outlives the checkout: std and the dependencies are built once
# (tens of minutes on two cores) and later runs only re-check the workspace's own crates. Two
# checkouts must not share it (cargo names workspace crates by their relative path, and an older
# tree built later looks fresh to the newer one): set KOPPLA_CROSS_TARGET_DIR per checkout.
export CARGO_TARGET_DIR="${KOPPLA_CROSS_TARGET_DIR:-$HOME/.cache/koppla-cross-target}"
# Debian's toolchain first, not rustup's proxies (which have no Windows std here).
export PATH="/usr/bin:$PATH"
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
export CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc
export CXX_x86_64_pc_windows_gnu=x86_64-w64-mingw32-g++
export AR_x86_64_pc_windows_gnu=x86_64-w64-mingw32-ar

/usr/bin/cargo --version
/usr/bin/cargo clippy --workspace --all-targets --features koppla-app/custom-protocol \
  -Zbuild-std=std,panic_abort --target "$TARGET" -- -D warnings
echo "Windows ($TARGET) check passed"

# macOS: every crate whose dependencies need no C compiled against the Apple SDK (ring wants
# TargetConditionals.h; bundled SQLite and Opus want the SDK's libc headers).
MACOS_CRATES=(-p koppla-dial -p koppla-audio)
/usr/bin/cargo clippy "${MACOS_CRATES[@]}" --all-targets \
  -Zbuild-std=std,panic_abort --target aarch64-apple-darwin -- -D warnings
echo "macOS (aarch64-apple-darwin) check passed for ${MACOS_CRATES[*]}"
