#!/usr/bin/env bash
# Installs what Koppla needs to build, run and test on Debian 12 / Ubuntu 22.04+:
# system packages (apt), the UI's npm packages, and tauri-driver for the real-webview tests.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  # Build: Rust crates that link C libraries, and the Tauri/WebKitGTK app.
  build-essential pkg-config cmake clang libclang-dev libssl-dev libopus-dev libasound2-dev
  libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev desktop-file-utils
  # Desktop tests: a private X server, session bus, selection and key tools, real webview driver.
  xvfb xauth xdotool xclip dbus dbus-x11 webkit2gtk-driver fonts-dejavu-core chromium
  # A desktop keychain (Secret Service) on the tests' session bus, and a tool to read it.
  gnome-keyring libsecret-tools
  # Audio: a sound server with null devices for headless runs, tools to make test signals.
  pulseaudio sox espeak-ng
  # Echo cancellation, AGC and noise suppression (koppla-media's `aec` feature, on for Linux).
  libwebrtc-audio-processing-dev
  # Python for Radicale, the CardDAV server of the address-book tests.
  python3 python3-venv
  # Debian's OpenLDAP server and tools for the LDAP address-book tests (started by the tests).
  slapd ldap-utils
  # A real SMTP relay (STARTTLS + AUTH) for the switch's voicemail e-mail test.
  python3-aiosmtpd
  # Real SIP peers for the interop tests.
  kamailio baresip-core sip-tester linphone-cli
  # A private DNS server for the RFC 3263 (SRV/NAPTR) test.
  dnsmasq-base
  # Kamailio's media relay in the switch call benchmark (daemon only: userspace forwarding).
  rtpengine-daemon
)

source scripts/apt-install.sh
apt_install "${APT_PACKAGES[@]}"

if ! command -v cargo >/dev/null; then
  echo "Rust is missing: install it from https://rustup.rs and run this again." >&2
  exit 1
fi

npm ci --no-audit --no-fund --loglevel=error

# Radicale (PyPI) is the real CardDAV server the address-book tests talk to.
RADICALE_VENV="${KOPPLA_RADICALE_VENV:-$HOME/.cache/koppla-radicale-venv}"
if [ ! -x "$RADICALE_VENV/bin/python" ] || ! "$RADICALE_VENV/bin/python" -c "import radicale" 2>/dev/null; then
  python3 -m venv "$RADICALE_VENV"
  "$RADICALE_VENV/bin/pip" install --quiet --disable-pip-version-check radicale
fi

# The real-webview tests drive the app through tauri-driver (pinned to Tauri 2: crates.io lists
# a 3.0 alpha as newest).
if ! command -v tauri-driver >/dev/null; then
  cargo install tauri-driver --version '^2' --locked
fi
