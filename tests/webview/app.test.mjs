// The real app binary in its real webview (WebKitGTK via tauri-driver + WebKitWebDriver) under a
// private Xvfb display and session bus: log in to the built-in switch, call its echo number,
// hold, resume, hang up, and find the call in history. Screenshots go to test-output/webview/.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { repo, startApp } from "./harness.mjs";
import { ENTER } from "./webdriver.mjs";

let app;
let driver;
const shot = (name) => app.shot(name);

before(async () => {
  app = await startApp({ shots: join(repo, "test-output/webview") });
  driver = app.driver;
});

after(async () => {
  await app?.stop();
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
