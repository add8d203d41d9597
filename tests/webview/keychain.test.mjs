// "Förbli inloggad" with a real desktop keychain: GNOME Keyring's Secret Service on the test's
// private session bus (harness.mjs). The password is kept in the keychain, not in a file; the
// next start logs in by itself; a wrong stored password gives the login form with the reason
// once (no retry loop); logging out removes the password from the keychain.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { logOut, repo, startApp, waitFor, which } from "./harness.mjs";

const shots = join(repo, "test-output/webview");
const PASSWORD = "nyckel-hemligt-7";
const ACCOUNT = "Builtin:anna@builtin";
let app;
let home;

after(async () => {
  await app?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

/** `secret-tool` against the app's keychain: the stored password for Anna, or null. */
function stored(env) {
  const out = spawnSync("secret-tool", ["lookup", "service", "se.koppla.app", "username", ACCOUNT], { env, encoding: "utf8" });
  return out.status === 0 ? out.stdout : null;
}

function storeWrong(env) {
  const out = spawnSync("secret-tool", ["store", "--label=Koppla", "service", "se.koppla.app", "username", ACCOUNT], {
    env,
    input: "fel-lösenord",
    encoding: "utf8",
  });
  assert.equal(out.status, 0, out.stderr);
}

async function restart() {
  assert.ok(app.kill(), "the app process was found and killed");
  await app.stop().catch(() => {});
  app = await startApp({ shots, home });
}

const registered = (driver) =>
  driver.waitFor('[data-testid="registration"]', { text: (text) => /Registrerad som anna/i.test(text), timeout: 30000 });

test("stay logged in keeps the password in the keychain, logs in at the next start, says a wrong one once, and logout removes it", async (t) => {
  if (!which("gnome-keyring-daemon") || !which("secret-tool")) {
    assert.ok(!process.env.CI, "CI installs gnome-keyring and libsecret-tools (scripts/setup.sh)");
    t.skip("gnome-keyring or secret-tool missing");
    return;
  }
  app = await startApp({ shots });
  home = app.home;
  let driver = app.driver;
  await driver.type(await driver.waitFor('[data-testid="login-username"]'), "anna");
  await driver.type(await driver.find('[data-testid="login-password"]'), PASSWORD);
  // "Förbli inloggad" is ticked by default.
  await driver.click(await driver.find('[data-testid="login-submit"]'));
  await registered(driver);
  assert.equal((await driver.findAll('[data-testid="password-not-saved"]')).length, 0, "the keychain took it");
  assert.equal(stored(app.env), PASSWORD, "the password is in the keychain");
  const files = spawnSync("grep", ["-rl", PASSWORD, home], { encoding: "utf8" }).stdout.trim();
  assert.equal(files, "", `the password is in no file of the profile outside the keyring: ${files}`);
  await app.shot("keychain-saved");

  // The next start logs in by itself.
  await restart();
  driver = app.driver;
  await registered(driver);
  await app.shot("keychain-auto-login");

  // A password changed elsewhere: the stored one is wrong. The login form comes back with the
  // name filled in and says why — once: it stays there.
  storeWrong(app.env);
  await restart();
  driver = app.driver;
  const error = await driver.waitFor('[data-testid="login-error"]', { timeout: 30000 });
  assert.match(await driver.text(error), /lösenord/i);
  const username = await driver.find('[data-testid="login-username"]');
  assert.equal(await driver.call("GET", driver.s(`/element/${username}/property/value`)), "anna");
  await new Promise((resolve) => setTimeout(resolve, 3000));
  assert.equal((await driver.findAll('[data-testid="login-error"]')).length, 1, "still the form, no retry loop");
  await app.shot("keychain-wrong-password");

  // Logging in again stores the right one; logging out removes it.
  const password = await driver.find('[data-testid="login-password"]');
  await driver.call("POST", driver.s(`/element/${password}/clear`), {});
  await driver.type(password, PASSWORD);
  await driver.click(await driver.find('[data-testid="login-submit"]'));
  await registered(driver);
  await waitFor("the right password stored", () => stored(app.env) === PASSWORD, 10000);
  await logOut(driver);
  await waitFor("the password gone from the keychain", () => stored(app.env) === null, 10000);
});
