// The real app binary in its real webview (WebKitGTK via tauri-driver + WebKitWebDriver) under a
// private Xvfb display and session bus: log in to the built-in switch, call its echo number,
// hold, resume, hang up, and find the call in history. Screenshots go to test-output/webview/.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ENTER, WebDriver } from "./webdriver.mjs";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const app = process.env.KOPPLA_APP_BIN ?? join(repo, "target/debug/koppla-app");
const shots = join(repo, "test-output/webview");
mkdirSync(shots, { recursive: true });

const children = [];
let driver;

function which(tool) {
  return spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
}

function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url, timeout = 20000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`${url} never answered`);
}

function freeDisplay() {
  for (let n = 200; n < 260; n++) {
    if (!existsSync(`/tmp/.X${n}-lock`) && !existsSync(`/tmp/.X11-unix/X${n}`)) return n;
  }
  throw new Error("no free X display");
}

async function shot(name) {
  writeFileSync(join(shots, `${name}.png`), Buffer.from(await driver.screenshot(), "base64"));
}

before(async () => {
  for (const [tool, pkg] of [
    ["Xvfb", "xvfb"],
    ["dbus-daemon", "dbus"],
    ["WebKitWebDriver", "webkit2gtk-driver"],
    ["tauri-driver", "cargo install tauri-driver --version '^2' --locked"],
  ]) {
    assert.ok(which(tool), `${tool} is missing: install ${pkg}`);
  }
  assert.ok(existsSync(app), `${app} is missing: run cargo build -p koppla-app --features custom-protocol`);

  const display = `:${freeDisplay()}`;
  const xvfb = spawn("Xvfb", [display, "-screen", "0", "1280x900x24", "-nolisten", "tcp"], { stdio: "ignore" });
  children.push(xvfb);
  const home = mkdtempSync(join(tmpdir(), "koppla-webview-"));
  const bus = spawn("dbus-daemon", ["--session", "--nofork", "--print-address=1"], { stdio: ["ignore", "pipe", "ignore"] });
  children.push(bus);
  const address = await new Promise((resolve) => bus.stdout.once("data", (chunk) => resolve(String(chunk).trim())));
  const env = {
    ...process.env,
    DISPLAY: display,
    DBUS_SESSION_BUS_ADDRESS: address,
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_DATA_HOME: join(home, ".local/share"),
    XDG_CACHE_HOME: join(home, ".cache"),
    GDK_BACKEND: "x11",
    // WEBKIT_DISABLE_COMPOSITING_MODE would save memory, but WebKitWebDriver's screenshot
    // command then never returns.
    LIBGL_ALWAYS_SOFTWARE: "1",
    NO_AT_BRIDGE: "1",
    KOPPLA_LOG: "info",
  };
  delete env.WAYLAND_DISPLAY;
  const port = await freePort();
  const nativePort = await freePort();
  const tauriDriver = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    env,
    stdio: ["ignore", "inherit", "inherit"],
  });
  children.push(tauriDriver);
  await waitForHttp(`http://127.0.0.1:${port}/status`);
  driver = new WebDriver(`http://127.0.0.1:${port}`);
  await driver.start(app);
});

after(async () => {
  await driver?.stop();
  for (const child of children.reverse()) child.kill("SIGTERM");
});

test("log in to the built-in switch, call the echo number, mute, hold, hang up, see it in history", async () => {
  // First start: the built-in switch has no users, so this login creates the account.
  const username = await driver.waitFor('[data-testid="login-username"]');
  await shot("login");
  await driver.type(username, "anna");
  await driver.type(await driver.find('[data-testid="login-password"]'), "hemligt-1");
  await driver.click(await driver.find('[data-testid="login-submit"]'));

  const registration = await driver.waitFor('[data-testid="registration"]', {
    text: (text) => /anna/i.test(text),
    timeout: 30000,
  });
  assert.match(await driver.text(registration), /anna/i);
  await shot("start");

  // 9999 is the switch's echo-test number: a real call with media through the relay.
  const search = await driver.find('[data-testid="search"]');
  await driver.type(search, "9999");
  await driver.type(search, ENTER);
  await driver.waitFor('[data-testid="call-timer"]', { timeout: 30000 });
  await shot("call");

  // Mute reaches the media engine and the button reflects it.
  await driver.click(await driver.find('[data-testid="call-mute"]'));
  await driver.waitFor('[data-testid="call-mute"][aria-pressed="true"]');
  await driver.click(await driver.find('[data-testid="call-mute"]'));
  await driver.waitFor('[data-testid="call-mute"][aria-pressed="false"]');

  await driver.click(await driver.waitFor('[data-testid="call-hold"]'));
  await driver.click(await driver.waitFor('[data-testid="call-resume"]'));
  await driver.waitFor('[data-testid="call-hold"]');

  const hangups = await driver.findAll('[data-testid="call-hangup"]');
  await driver.click(hangups[0]);
  await driver.waitGone('[data-testid="call-timer"]');

  await driver.click(await driver.find('[data-testid="tab-history"]'));
  const row = await driver.waitFor('[data-testid="history-row"]', { text: (text) => text.includes("9999") });
  assert.match(await driver.text(row), /9999/);
  await shot("history");
});
