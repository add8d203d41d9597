// Help menu in the real app and webview (issue 14 item 6). WebDriver cannot open native menus, so
// the test chooses items through `menu_activate`, the command that runs a menu item by id exactly
// as the menu bar's handler does (same event, same view). Checks:
// - Help → About shows the version Cargo.toml says (read here, not copied into the test);
// - Tools → Create contact opens the contact form, Call → Search focuses the search box;
// - after a login to the built-in switch (REGISTER with a digest challenge), Help → Diagnostics
//   writes a zip that holds the SIP trace with the REGISTER, and neither the password nor any
//   Authorization nonce/response value.
// Screenshots go to test-output/webview/about-*.png.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repo, startApp, waitFor } from "./harness.mjs";

const PASSWORD = "Lösen-för-diag-7";

let app;
let driver;
/** A screenshot once the page has painted (the first frames after start can be blank). */
async function shot(name) {
  await driver.call("POST", driver.s("/execute/async"), {
    script: "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
    args: [],
  });
  await app.shot(`about-${name}`);
}

/** Chooses a menu item by id (e.g. "help.about"), as the menu bar does. */
const menu = (id) =>
  driver.call("POST", driver.s("/execute/async"), {
    script:
      "const done = arguments[arguments.length - 1];" +
      "window.__TAURI_INTERNALS__.invoke('menu_activate', { id: arguments[0] })" +
      ".then(() => done('ok'), (e) => done(JSON.stringify(e)));",
    args: [id],
  });

/** The DOM text of the first element matching `css` ("" when there is none). */
const textOf = (css) =>
  driver.call("POST", driver.s("/execute/sync"), {
    script: "return document.querySelector(arguments[0])?.textContent ?? ''",
    args: [css],
  });

/** The workspace version, as Cargo reads it. */
function cargoVersion() {
  const toml = readFileSync(join(repo, "Cargo.toml"), "utf8");
  const section = toml.slice(toml.indexOf("[workspace.package]"));
  const match = section.match(/^version\s*=\s*"([^"]+)"/m);
  assert.ok(match, "no version in Cargo.toml [workspace.package]");
  return match[1];
}

/** Every file in a zip as {name: text}, read with Python's zipfile. */
function unzip(path) {
  const script =
    "import json, sys, zipfile\n" +
    "z = zipfile.ZipFile(sys.argv[1])\n" +
    "print(json.dumps({n: z.read(n).decode('utf-8', 'replace') for n in z.namelist()}))\n";
  const run = spawnSync("python3", ["-c", script, path], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout);
}

before(async () => {
  app = await startApp({ shots: join(repo, "test-output/webview") });
  driver = app.driver;
});

after(async () => {
  await app?.stop();
});

test("Help → About shows Cargo's version; Diagnostics writes a zip with the trace and no secret", async () => {
  // About works before logging in.
  await driver.waitFor('[data-testid="login-submit"]');
  assert.equal(await menu("help.about"), "ok");
  const version = await driver.waitFor('[data-testid="about-version"]');
  assert.equal(await driver.text(version), `Version ${cargoVersion()}`);
  assert.match(await driver.text(await driver.find('[data-testid="about-licence"]')), /GPL-3\.0-or-later/);
  await shot("about");
  await driver.click(await driver.find('[data-testid="help-close"]'));
  await driver.waitGone('[data-testid="help-about"]');
  assert.notEqual(await menu("no.such.item"), "ok", "an unknown item is refused");

  // Log in to the built-in switch: REGISTER, 401 with a nonce, REGISTER with Authorization.
  await driver.click(await driver.find('[data-testid="login-tab-vaxel"]'));
  await driver.type(await driver.find('[data-testid="login-username"]'), "diag");
  await driver.type(await driver.find('[data-testid="login-password"]'), PASSWORD);
  await driver.click(await driver.find('[data-testid="login-submit"]'));
  // textContent, not WebDriver's visible text: the status bar may ellipsise it in a narrow window.
  await waitFor(
    "registered with the built-in switch",
    async () => /Registrerad/.test(await textOf('[data-testid="registration"]')),
    30000,
  );

  // Tools and Call items reach the window through the same events the menu bar sends.
  assert.equal(await menu("tools.createContact"), "ok");
  await driver.waitFor('[data-testid="contact-form"]');
  assert.equal(await menu("call.focusSearch"), "ok");
  await waitFor("the search box focused by Call → Search", async () => {
    const focused = await driver.call("POST", driver.s("/execute/sync"), {
      script: "return document.activeElement?.dataset?.testid ?? null",
      args: [],
    });
    return focused === "search";
  });

  assert.equal(await menu("help.diagnostics"), "ok");
  await driver.click(await driver.waitFor('[data-testid="diagnostics-create"]'));
  const saved = await driver.waitFor('[data-testid="diagnostics-saved"]', { timeout: 30000 });
  await shot("diagnostics");
  const path = (await driver.text(saved)).match(/Sparad: (.+\.zip)/)?.[1];
  assert.ok(path?.startsWith(app.home), `the file is under the test's HOME: ${path}`);
  const files = unzip(path);
  assert.deepEqual(
    Object.keys(files).filter((name) => !name.startsWith("logs/")),
    ["versions.txt", "sip-trace.txt", "audio-devices.json"],
  );
  assert.ok(Object.keys(files).includes("logs/koppla.log"), "the app log is in the zip");
  assert.match(files["versions.txt"], new RegExp(`Koppla ${cargoVersion().replace(/\./g, "\\.")}`));
  // The log file: written from the start (lines before the log folder was known included) and
  // the menu bar was installed.
  const log = files["logs/koppla.log"];
  assert.match(log, /Koppla is ready/);
  assert.doesNotMatch(log, /menu bar not/);
  const trace = files["sip-trace.txt"];
  assert.match(trace, /^REGISTER sip:/m, "the trace holds the REGISTER");
  assert.match(trace, /^SIP\/2\.0 401 /m, "and the challenge");
  assert.match(trace, /^Authorization: Digest .*username="diag"/m, "the Authorization header is there, redacted");
  for (const [name, text] of Object.entries(files)) {
    assert.ok(!text.includes(PASSWORD), `the password is in ${name}`);
    for (const line of text.split("\n").filter((l) => /(authorization|authenticate):/i.test(l))) {
      for (const secret of line.matchAll(/\b(nonce|response|cnonce|opaque)="?([^",]*)/gi)) {
        assert.equal(secret[2], "[redacted]", `${secret[1]} left in ${name}: ${line}`);
      }
    }
  }
  const registers = trace.match(/^REGISTER sip:/gm).length;
  console.log(`# diagnostics zip: ${Object.keys(files).length} files, ${registers} REGISTERs in the trace, no secret`);
});
