// The window from the 340 px minimum to a 1920 px console, in headless Chromium with the mocked
// backend: for each state the issue names (start page, a call with its keypad, with the transfer
// panel, the operator view with two calls, settings, history) nothing sticks out sideways and every
// call's hang-up, hold and timer are on screen. The real webview runs the same check
// (tests/webview/layout.test.mjs). Screenshots: test-output/screenshots/layout-mock-<state>-<width>.png.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startMockUi } from "./chromium.mjs";
import { layoutProblems } from "./layout-check.mjs";

const shots = fileURLToPath(new URL("../../test-output/screenshots/", import.meta.url));
mkdirSync(shots, { recursive: true });
const WIDTHS = [340, 420, 1280, 1920];

let ui;
before(async () => {
  ui = await startMockUi();
});
after(() => ui?.close());

async function loggedIn() {
  const { page, errors } = await ui.open();
  await page.getByTestId("login-username").fill("anna");
  await page.getByTestId("login-password").fill("hemligt");
  await page.getByTestId("login-submit").click();
  await page.getByTestId("search").waitFor();
  return { page, errors };
}

/** Checks one state at every width and saves its screenshots. */
async function fits(page, state, widths = WIDTHS) {
  for (const width of widths) {
    const height = width >= 1280 ? 800 : 720;
    await page.setViewportSize({ width, height });
    await page.waitForFunction((w) => document.documentElement.clientWidth === w, width);
    const problems = await page.evaluate(layoutProblems);
    assert.deepEqual({ ...problems, calls: undefined }, { overflow: 0, outside: [], cards: [], calls: undefined }, `${state} at ${width} px`);
    await page.screenshot({ path: `${shots}/layout-mock-${state}-${width}.png` });
  }
}

async function answeredCall(page, number) {
  await page.getByTestId("search").fill(number);
  await page.getByTestId("search").press("Enter");
  await page.getByTestId("call-phase").filter({ hasText: /Det ringer|Ringer upp/ }).waitFor();
  await page.evaluate(() => window.koppla.remoteAnswer());
  await page.locator("article.phase-established").waitFor();
}

test("the start page fits with its dialpad folded at 420 px and beside the search when wide", async () => {
  const { page, errors } = await loggedIn();
  await page.setViewportSize({ width: 420, height: 720 });
  assert.equal(await page.getByTestId("dialpad-toggle").isVisible(), true);
  assert.equal(await page.getByTestId("dialpad-5").isVisible(), false);
  await page.getByTestId("dialpad-toggle").click();
  await fits(page, "start");
  // Wide, the dialpad is always open, right of the search box, and its toggle is gone.
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.waitForFunction(() => document.documentElement.clientWidth === 1280);
  assert.equal(await page.getByTestId("dialpad-toggle").isVisible(), false);
  assert.equal(await page.getByTestId("dialpad-5").isVisible(), true);
  const [search, pad] = await Promise.all([page.getByTestId("search").boundingBox(), page.getByTestId("dialpad-5").boundingBox()]);
  assert.ok(pad.x > search.x + search.width, `dialpad ${JSON.stringify(pad)} beside search ${JSON.stringify(search)}`);
  // Keys typed with the focus off the search box still reach it; Backspace erases.
  await page.locator("h3, .me strong").first().click();
  await page.keyboard.type("0705");
  await page.keyboard.press("Backspace");
  assert.equal(await page.getByTestId("search").inputValue(), "070");
  await page.screenshot({ path: `${shots}/layout-mock-start-typed-1280.png` });
  // The check itself sees what sticks out: a too wide element is named and overflows the page.
  const broken = await page.evaluate((check) => {
    const wide = document.createElement("div");
    wide.dataset.testid = "too-wide";
    wide.style.width = "1500px";
    wide.style.height = "4px";
    document.querySelector("main.view").append(wide);
    const problems = new Function(`return (${check})()`)();
    wide.remove();
    return problems;
  }, layoutProblems.toString());
  assert.equal(broken.outside.length > 0 && broken.outside[0].startsWith("div[data-testid=too-wide]"), true, JSON.stringify(broken));
  assert.deepEqual(errors, []);
});

test("a call with its keypad, then its transfer panel, keeps hang-up, hold and timer on screen", async () => {
  const { page, errors } = await loggedIn();
  await answeredCall(page, "070-555 12 34 ankn. 8800 Kundtjänst långt namn AB");
  await page.getByTestId("call-keypad").click();
  await page.getByTestId("keypad").waitFor();
  await fits(page, "call-keypad");
  // While the call's keypad is open, digits are tones for the call, not a new number.
  await page.locator("body").press("5");
  assert.equal(await page.getByTestId("dtmf-sent").textContent(), "5");
  assert.equal(await page.getByTestId("search").inputValue(), "");
  await page.getByTestId("call-transfer").click();
  await page.getByTestId("transfer").waitFor();
  await fits(page, "call-transfer");
  assert.deepEqual(errors, []);
});

test("the operator view with two calls puts them beside the page when wide; settings and history fit", async () => {
  const { page, errors } = await loggedIn();
  await page.getByTestId("tab-settings").click();
  await page.getByTestId("setting-viewMode").selectOption("operator");
  await fits(page, "settings");
  await page.getByTestId("tab-start").click();
  await answeredCall(page, "0701234567");
  await page.evaluate(() => window.koppla.incoming("1003", "Anders Öberg"));
  await page.getByTestId("call-answer").click();
  await page.locator("article.phase-held").waitFor();
  await fits(page, "operator-two-calls");
  await page.emulateMedia({ colorScheme: "dark" });
  await fits(page, "operator-two-calls-dark", [1280]);
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 1280, height: 800 });
  const [calls, view] = await Promise.all([page.getByTestId("calls").boundingBox(), page.locator("main.view").boundingBox()]);
  assert.ok(Math.abs(calls.y - view.y) < 1 && calls.x > view.x, `calls ${JSON.stringify(calls)} beside the page ${JSON.stringify(view)}`);
  // History with a row in it: the held call is hung up (the other one stays on).
  await page.locator("article.phase-held").getByTestId("call-hangup").click();
  await page.getByTestId("tab-history").click();
  await page.getByTestId("history-row").first().waitFor();
  await fits(page, "history");
  assert.deepEqual(errors, []);
});
