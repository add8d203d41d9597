// Starts the real app binary in its real webview under a private Xvfb display and session bus,
// driven through tauri-driver + WebKitWebDriver. Each call gets its own HOME, so app data and
// the built-in switch's database start empty (or with the files the test puts there).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { WebDriver } from "./webdriver.mjs";

export const repo = fileURLToPath(new URL("../..", import.meta.url));
const app = process.env.KOPPLA_APP_BIN ?? join(repo, "target/debug/koppla-app");
/** Where the app keeps its data under a given HOME (Tauri's app_data_dir on Linux). */
export const appDataDir = (home) => join(home, ".local/share/se.koppla.app");

export function which(tool) {
  return spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
}

export function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function waitFor(what, check, timeout = 20000) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
}

function freeDisplay() {
  for (let n = 200; n < 260; n++) {
    if (!existsSync(`/tmp/.X${n}-lock`) && !existsSync(`/tmp/.X11-unix/X${n}`)) return n;
  }
  throw new Error("no free X display");
}

/**
 * Starts the app. `files` maps paths relative to the app's data folder to their contents,
 * written before the app starts; `env` is added to the app's environment.
 */
/**
 * Settings → Log out, and wait for the login form. Settings fill in as their parts load (audio
 * devices, address books), which moves the button: a click aimed before it settles can land on
 * another control (a select's native popup then swallows every later click), so the button is
 * clicked once its place has stopped changing.
 */
export async function logOut(driver) {
  await driver.click(await driver.waitFor('[data-testid="tab-settings"]'));
  const place = () =>
    driver.call("POST", driver.s("/execute/sync"), {
      script: `const b = document.querySelector('[data-testid="logout"]');
        if (!b) return null;
        b.scrollIntoView({ block: "center" });
        const r = b.getBoundingClientRect();
        return [r.x, r.y, r.width, r.height].join(",");`,
      args: [],
    });
  let before = null;
  await waitFor("the logout button in its place", async () => {
    const now = await place();
    const settled = now !== null && now === before;
    before = now;
    return settled;
  }, 15000);
  await driver.click(await driver.find('[data-testid="logout"]'));
  await driver.waitFor('[data-testid="login-username"]', { timeout: 30000 });
}

/** The password of the test profile's login keyring. */
export const KEYRING_PASSWORD = "koppla-testnyckelring";

/**
 * A desktop's Secret Service on the private bus: GNOME Keyring with the profile's login keyring
 * unlocked, as after a desktop login. Without it the bus would start one on demand whose first
 * use opens an unlock prompt nobody answers, and "Förbli inloggad" would wait out the app's
 * keychain deadline. The keyring lives in the profile, so a restart with `home` finds it.
 */
async function startKeyring(env) {
  const daemon = spawn("gnome-keyring-daemon", ["--foreground", "--unlock", "--components=secrets"], {
    env,
    stdio: ["pipe", "ignore", "ignore"],
  });
  daemon.stdin.end(KEYRING_PASSWORD);
  await waitFor("the keyring on the session bus", () => {
    const owner = spawnSync(
      "dbus-send",
      ["--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
        "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets"],
      { env, encoding: "utf8" },
    );
    return /boolean true/.test(owner.stdout ?? "");
  }, 10000);
  return daemon;
}

/** Starts the app on a private display and bus. `home` reuses an earlier run's profile (the
 * window's saved size, settings, history): that is what a restart of the app sees. */
export async function startApp({ shots, files = {}, env: extraEnv = {}, home: reuse = null, keyring = true }) {
  for (const [tool, pkg] of [
    ["Xvfb", "xvfb"],
    ["dbus-daemon", "dbus"],
    ["WebKitWebDriver", "webkit2gtk-driver"],
    ["tauri-driver", "cargo install tauri-driver --version '^2' --locked"],
  ]) {
    assert.ok(which(tool), `${tool} is missing: install ${pkg}`);
  }
  assert.ok(existsSync(app), `${app} is missing: run cargo build -p koppla-app --features custom-protocol`);
  mkdirSync(shots, { recursive: true });

  const children = [];
  const display = `:${freeDisplay()}`;
  children.push(spawn("Xvfb", [display, "-screen", "0", "1280x900x24", "-nolisten", "tcp"], { stdio: "ignore" }));
  const home = reuse ?? mkdtempSync(join(tmpdir(), "koppla-webview-"));
  for (const [name, text] of Object.entries(files)) {
    const path = join(appDataDir(home), name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  const bus = spawn("dbus-daemon", ["--session", "--nofork", "--print-address=1"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  children.push(bus);
  const address = await new Promise((resolve) => bus.stdout.once("data", (chunk) => resolve(String(chunk).trim())));
  const env = {
    ...process.env,
    ...extraEnv,
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
  if (keyring && which("gnome-keyring-daemon")) children.push(await startKeyring(env));
  const port = await freePort();
  const nativePort = await freePort();
  const tauriDriver = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    env,
    stdio: ["ignore", "inherit", "inherit"],
  });
  children.push(tauriDriver);
  await waitFor("tauri-driver", async () => (await fetch(`http://127.0.0.1:${port}/status`)).ok);
  const driver = new WebDriver(`http://127.0.0.1:${port}`);
  await driver.start(app);
  return {
    driver,
    home,
    /** The environment the app runs in (display, bus, profile): for tools that talk to them. */
    env,
    /** Kills the app process (found by its profile) as a crash would; true when one was found. */
    kill() {
      for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
        try {
          const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
          const vars = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
          if (/koppla-app/.test(cmd) && vars.includes(`HOME=${home}`)) {
            process.kill(Number(pid), "SIGKILL");
            return true;
          }
        } catch {
          // Gone meanwhile, or not ours to read.
        }
      }
      return false;
    },
    /** Opens `url` as the OS would from a browser: a second instance of the app with the link as
     * its argument, which hands it to the running one (single-instance + deep-link) and exits. */
    async openLink(url) {
      const second = spawn(app, [url], { env, stdio: "ignore" });
      const code = await new Promise((resolve) => second.once("exit", resolve));
      assert.equal(code, 0, `the second instance opening ${url} exited with ${code}`);
    },
    async shot(name) {
      writeFileSync(join(shots, `${name}.png`), Buffer.from(await driver.screenshot(), "base64"));
    },
    async stop() {
      try {
        await driver.stop();
      } finally {
        // Also when the app is already gone (a test killed it): the display and bus must go.
        for (const child of children.reverse()) child.kill("SIGTERM");
      }
    },
  };
}
