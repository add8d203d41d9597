// The first run in headless Chromium with the mocked backend (issue 18 item 4): what the login
// view explains, the name the switch stores, the echo-test hint, Cancel while connecting, one
// message at a time, and "stay logged in" without a keychain. Screenshots in
// test-output/screenshots/firstrun-*.png.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startMockUi } from "./chromium.mjs";

const shots = fileURLToPath(new URL("../../test-output/screenshots/", import.meta.url));
mkdirSync(shots, { recursive: true });

let ui;
before(async () => {
  ui = await startMockUi();
});
after(async () => {
  await ui?.close();
});

const text = async (locator) => (await locator.textContent())?.trim();

test("first run: the login explains itself, a typed name becomes the account, the hint calls 9999", async () => {
  const { page, errors } = await ui.open();
  const about = await text(page.getByTestId("login-builtin-about"));
  assert.match(about, /ingen server behövs/);
  assert.match(about, /Första inloggningen skapar ditt konto/);
  assert.match(about, /vaxel\.toml/);
  assert.match(await text(page.getByTestId("login-username-rules")), /”Anna Öberg” blir anna\.oberg/);
  await page.screenshot({ path: `${shots}/firstrun-login.png` });

  await page.getByTestId("login-username").fill("Anna Öberg");
  await page.getByTestId("login-password").fill("hemligt");
  await page.getByTestId("login-submit").click();
  await page.getByTestId("search").waitFor();
  assert.equal(await text(page.getByTestId("me-username")), "Du är inloggad som anna.oberg");

  const hint = page.getByTestId("echo-hint");
  assert.match(await text(hint), /Ring 9999 för att testa ljudet/);
  await page.screenshot({ path: `${shots}/firstrun-hint.png` });
  await page.getByTestId("echo-hint-call").click();
  await page.getByTestId("call-phase").waitFor();
  assert.match(await text(page.locator(".call").first()), /9999/);
  await page.getByTestId("call-hangup").first().click();
  await page.getByTestId("call-phase").waitFor({ state: "detached" }).catch(() => {});

  // Closed for good: a restart (reload) keeps it closed.
  await page.getByTestId("echo-hint-dismiss").click();
  await hint.waitFor({ state: "detached" });
  await page.reload();
  await page.getByTestId("search").waitFor();
  assert.equal(await hint.count(), 0);
  assert.deepEqual(errors, []);
});

test("Cancel while connecting to a server that never answers brings the form back as filled in", async () => {
  const { page, errors } = await ui.open();
  await page.getByTestId("login-tab-sip").click();
  // One message at a time: "fill in all fields" first, then it gives way.
  await page.getByTestId("login-submit").click();
  assert.deepEqual(await page.getByTestId("login-error").allTextContents(), ["Fyll i alla fält."]);
  await page.getByTestId("login-server").fill("dead.example.com");
  await page.getByTestId("login-username").fill("anna");
  await page.getByTestId("login-password").fill("hemligt");
  await page.getByTestId("login-submit").click();
  await page.getByTestId("connecting").waitFor();
  await page.screenshot({ path: `${shots}/firstrun-connecting.png` });
  await page.getByRole("button", { name: "Avbryt" }).click();
  await page.getByTestId("login-submit").waitFor();
  assert.equal(await page.getByTestId("login-server").inputValue(), "dead.example.com");
  assert.equal(await page.getByTestId("login-username").inputValue(), "anna");
  assert.equal(await page.getByTestId("login-password").inputValue(), "hemligt");
  assert.equal(await page.getByTestId("login-error").count(), 0, "a cancel is not a failure");

  // A refused password replaces the earlier message rather than joining it.
  await page.getByTestId("login-server").fill("sip.example.com");
  await page.getByTestId("login-password").fill("fel");
  await page.getByTestId("login-submit").click();
  await page.getByTestId("login-error").waitFor();
  assert.deepEqual(await page.getByTestId("login-error").allTextContents(), [
    "Inloggningen misslyckades: fel användarnamn eller lösenord",
  ]);
  await page.getByTestId("login-submit").click();
  assert.deepEqual(await page.getByTestId("login-error").allTextContents(), ["Fyll i alla fält."]);
  assert.deepEqual(errors, []);
});

test("stay logged in without a keychain: logged in, and told the password is asked for next time", async () => {
  const { page, errors } = await ui.open("?nokeychain");
  await page.getByTestId("login-username").fill("anna");
  await page.getByTestId("login-password").fill("hemligt");
  await page.getByTestId("login-submit").click();
  await page.getByTestId("search").waitFor();
  const note = page.getByTestId("password-not-saved");
  assert.match(await text(note), /Lösenordet kunde inte sparas i datorns nyckelring/);
  assert.match(await text(note), /frågar efter det nästa gång du startar\. Du är inloggad nu\./);
  assert.equal(await page.getByTestId("notice").count(), 0, "a note on the start page, not an error");
  assert.match(await text(page.getByTestId("registration")), /Registrerad/);
  await page.screenshot({ path: `${shots}/firstrun-nokeychain.png` });
  // Closed, it stays closed while the app runs, also across tabs.
  await page.getByTestId("password-not-saved-close").click();
  await page.getByTestId("tab-history").click();
  await page.getByTestId("tab-start").click();
  await page.getByTestId("search").waitFor();
  assert.equal(await note.count(), 0);
  assert.deepEqual(errors, []);
});
