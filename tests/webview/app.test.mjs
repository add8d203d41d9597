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

test("a link opened from outside asks first; a sip: address outside the company is shown whole and marked", async () => {
  // Logged in by the test above. Links arrive as the OS delivers them: a second instance.
  await driver.click(await driver.find('[data-testid="tab-start"]'));
  const outside = "sip:reception.with.a.long.name@switchboard.evil-example.net";
  await app.openLink(outside);
  const number = await driver.waitFor('[data-testid="dial-request-number"]', { timeout: 15000 });
  assert.equal(await driver.text(number), "Ringa reception.with.a.long.name@switchboard.evil-example.net?");
  const note = await driver.waitFor('[data-testid="dial-request-outside"]');
  assert.equal(await driver.text(note), "Utanför företaget – samtalet går till switchboard.evil-example.net");
  // Shown in full at the 420 px window: the address wraps, nothing is cut or scrolls sideways.
  const [fits, scroll] = await driver.call("POST", driver.s("/execute/sync"), {
    script: `const box = document.querySelector('[data-testid="dial-request"]').getBoundingClientRect();
      const text = document.querySelector('[data-testid="dial-request-number"]');
      return [box.right <= window.innerWidth && text.scrollWidth <= text.clientWidth + 1,
        document.documentElement.scrollWidth - window.innerWidth];`,
    args: [],
  });
  assert.ok(fits, "the whole address is inside the prompt");
  assert.ok(scroll <= 0, `the page scrolls ${scroll} px sideways`);
  await shot("link-outside");
  // A link never dials by itself (the default link setting is "ask").
  assert.equal((await driver.findAll('[data-testid="call-timer"]')).length, 0);

  // The company's own switch (the built-in one at 127.0.0.1) is not outside.
  await app.openLink("sip:9999@127.0.0.1");
  await driver.waitFor('[data-testid="dial-request-number"]', { text: (text) => text.includes("9999@127.0.0.1") });
  assert.equal((await driver.findAll('[data-testid="dial-request-outside"]')).length, 0);
  await app.openLink("tel:+46701234567");
  await driver.waitFor('[data-testid="dial-request-number"]', { text: (text) => /070-123 45 67/.test(text) });
  assert.equal((await driver.findAll('[data-testid="dial-request-outside"]')).length, 0);
});
