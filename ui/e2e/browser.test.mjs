// Drives the UI in headless Chromium with the IPC mocked (node's test runner + playwright-core).
// Screenshots of each main view land in test-output/screenshots/.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createServer } from "vite";
import { chromium } from "playwright-core";

const root = fileURLToPath(new URL("..", import.meta.url));
const shots = fileURLToPath(new URL("../../test-output/screenshots/", import.meta.url));
mkdirSync(shots, { recursive: true });

let server;
let browser;
let base;

before(async () => {
  server = await createServer({
    configFile: `${root}/vite.config.ts`,
    server: { port: 0, host: "127.0.0.1", strictPort: false },
    logLevel: "error",
  });
  await server.listen();
  const address = server.httpServer.address();
  base = `http://127.0.0.1:${address.port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_BIN ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

// Counts WebAudio oscillators: the webview must stay silent, call sounds are played in Rust.
const countTones = () => {
  window.__oscillators = 0;
  const Original = window.AudioContext;
  if (!Original) return;
  window.AudioContext = class extends Original {
    createOscillator() {
      window.__oscillators += 1;
      return super.createOscillator();
    }
  };
};

// The title follows the call list in an effect after rendering: wait for it, then compare.
async function titleBecomes(page, expected) {
  await page.waitForFunction((want) => document.title === want, expected, { timeout: 5000 }).catch(() => {});
  return page.title();
}

async function openApp({ locale = "sv-SE", loggedIn = true, query = "" } = {}) {
  const context = await browser.newContext({ locale, viewport: { width: 440, height: 720 } });
  await context.addInitScript(countTones);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(`${base}/e2e/mock.html${query}`);
  await page.getByTestId("login-submit").waitFor();
  if (loggedIn) await logIn(page);
  return { page, errors };
}

async function logIn(page, password = "hemligt") {
  await page.getByTestId("login-username").fill("anna");
  await page.getByTestId("login-password").fill(password);
  await page.getByTestId("login-submit").click();
  if (password !== "fel") await page.getByTestId("search").waitFor();
}

const text = async (locator) => (await locator.textContent())?.trim();

async function callAnswered(page) {
  await page.getByTestId("call-phase").filter({ hasText: /Det ringer|Ringer upp/ }).waitFor();
  await page.evaluate(() => window.koppla.remoteAnswer());
  await page.getByTestId("call-timer").waitFor();
}

test("login: Swedish by default, SMS login says it is not available, wrong password is shown", async () => {
  const { page, errors } = await openApp({ loggedIn: false });
  assert.equal(await text(page.getByTestId("login-tab-vaxel")), "Koppla Växel");
  await page.screenshot({ path: `${shots}/login.png` });
  await page.getByTestId("login-sms").check();
  await page.getByRole("button", { name: "Hämta aktiveringskod" }).click();
  await page.getByTestId("sms-unavailable").waitFor();
  await page.getByTestId("login-tab-sip").click();
  await page.getByTestId("login-server").fill("sip.example.com");
  await logIn(page, "fel");
  await page.getByTestId("login-error").waitFor();
  assert.match(await text(page.getByTestId("login-error")), /fel användarnamn eller lösenord/);
  assert.equal(await page.getByTestId("login-username").inputValue(), "anna");
  assert.deepEqual(errors, []);
});

test("login leads to the start page with registration status", async () => {
  const { page, errors } = await openApp();
  assert.equal(await text(page.getByTestId("tab-settings")), "Inställningar");
  assert.match(await text(page.getByTestId("registration")), /Registrerad som Test Testsson/);
  assert.equal(await page.getByTestId("search").getAttribute("placeholder"), "Sök namn eller nummer");
  const field = page.getByTestId("contact-field");
  await field.waitFor();
  assert.deepEqual(await field.locator("strong").allTextContents(), ["Britt Ek", "Pelle Holm"]);
  await page.screenshot({ path: `${shots}/start-empty.png` });
  await page.keyboard.press("Alt+4");
  assert.equal(await page.getByTestId("tab-contacts").getAttribute("aria-current"), "page");
  await page.evaluate(() => window.koppla.registrationError("403 Forbidden"));
  await page.getByTestId("registration").filter({ hasText: "Registreringen misslyckades: 403 Forbidden" }).waitFor();
  assert.deepEqual(errors, []);
});

test("search 'anna' shows highlighted hits, arrows select and Enter calls", async () => {
  const { page, errors } = await openApp();
  await page.getByTestId("search").fill("anna");
  await page.getByTestId("hit").first().waitFor();
  const marks = await page.locator(".hit mark").allTextContents();
  assert.ok(marks.includes("Anna"), `marks: ${marks}`);
  assert.ok(marks.includes("anna"), `marks: ${marks}`);
  await page.screenshot({ path: `${shots}/start.png` });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: `${shots}/start-dark.png` });
  await page.emulateMedia({ colorScheme: "light" });
  await page.getByTestId("search").press("ArrowDown");
  assert.equal(await page.locator(".hit.selected .number").textContent(), "1002");
  await page.getByTestId("search").press("ArrowUp");
  await page.getByTestId("search").press("Enter");
  const call = page.getByTestId("calls").locator("article").first();
  await call.waitFor();
  assert.match(await call.textContent(), /Anna Lindqvist/);
  assert.equal(await page.getByTestId("search").inputValue(), "");
  assert.deepEqual(errors, []);
});

test("own activity: the picker saves it, changes from another client and colleagues appear live", async () => {
  const { page, errors } = await openApp();
  const label = page.getByTestId("activity-label");
  await label.waitFor();
  assert.equal(await text(label), "Tillgänglig");
  await page.getByTestId("activity").click();
  await page.getByTestId("activity-picker").waitFor();
  await page.getByTestId("activity-option-lunch").check();
  await page.getByTestId("activity-until-date").fill("2020-01-01");
  await page.getByTestId("activity-until-time").fill("13:00");
  await page.getByTestId("activity-save").click();
  assert.equal(await text(page.getByTestId("activity-problem")), "Sluttiden har redan passerat.");
  await page.getByTestId("activity-until-date").fill("");
  await page.getByTestId("activity-note-input").fill("Tillbaka efter lunch");
  await page.screenshot({ path: `${shots}/activity-picker.png` });
  await page.getByTestId("activity-save").click();
  await page.getByTestId("activity-picker").waitFor({ state: "detached" });
  assert.equal(await text(label), "Lunch");
  assert.match(await text(page.getByTestId("activity-until")), /^till (\d+ \S+ )?13:00$/);
  assert.equal(await text(page.getByTestId("activity-note")), "Tillbaka efter lunch");
  const dot = page.getByTestId("activity").locator(".presence");
  assert.equal(await dot.evaluate((el) => el.style.background), "rgb(249, 168, 37)");

  // The same user changes activity in another client: the start page follows without a reload.
  await page.evaluate(() => window.koppla.activityElsewhere("meeting", "Styrelsemöte"));
  await label.filter({ hasText: "Möte" }).waitFor();
  assert.equal(await text(page.getByTestId("activity-note")), "Styrelsemöte");
  assert.equal(await page.getByTestId("activity-until").count(), 0);

  // A colleague's change shows in the results already on screen.
  await page.getByTestId("search").fill("johanna");
  const hit = page.getByTestId("hit").first();
  await hit.filter({ hasText: "Lunch" }).waitFor();
  await page.evaluate(() => window.koppla.colleagueActivity("u2", "vacation", "Åter måndag"));
  await hit.filter({ hasText: "Semester – Åter måndag" }).waitFor();
  await page.screenshot({ path: `${shots}/start-activity.png` });

  // A plain SIP account has no switch: no activity, and nothing broken.
  await page.getByTestId("tab-settings").click();
  await page.getByTestId("logout").click();
  await page.getByTestId("login-tab-sip").click();
  await page.getByTestId("login-server").fill("sip.example.com");
  await logIn(page);
  await page.getByTestId("contact-field").waitFor();
  assert.equal(await page.getByTestId("activity").count(), 0);
  assert.deepEqual(errors, []);
});

test("queues: counters tick, the toggle logs me in, the ACD view puts them first, plain SIP has none", async () => {
  const { page, errors } = await openApp();
  const support = page.getByTestId("queue-support");
  const sales = page.getByTestId("queue-sales");
  await support.waitFor();
  assert.equal(await text(page.locator("#queues-heading")), "Köer");
  assert.equal(await text(support.getByTestId("queue-waiting")), "2");
  assert.match(await support.getAttribute("class"), /busy/);
  assert.doesNotMatch(await sales.getAttribute("class"), /busy/);
  // The longest wait counts up by itself from the arrival time the switch sent.
  const first = await text(support.getByTestId("queue-longest"));
  assert.match(first, /^01:2\d$/);
  await page.waitForFunction((was) => document.querySelector("[data-testid=queue-support] [data-testid=queue-longest]")
    ?.textContent !== was, first, { timeout: 3000 });
  assert.equal(await text(support.getByTestId("queue-agents")), "1 / 3");
  assert.equal(await text(support.getByTestId("queue-today")), "41 / 2");
  // The switchboard queue is not mine: its counters show, its login toggle does not.
  const switchboard = page.getByTestId("queue-switchboard");
  assert.equal(await text(switchboard.getByTestId("queue-waiting")), "1");
  assert.equal(await switchboard.getByTestId("queue-login").count(), 0);

  const toggle = sales.getByTestId("queue-login");
  assert.equal(await text(toggle), "Utloggad");
  await toggle.click();
  await sales.getByTestId("queue-login").filter({ hasText: "Inloggad" }).waitFor();
  assert.equal(await toggle.getAttribute("aria-checked"), "true");
  assert.equal(await text(sales.getByTestId("queue-agents")), "2 / 2");

  await page.getByTestId("tab-settings").click();
  await page.getByTestId("setting-viewMode").selectOption("acd");
  await page.getByTestId("tab-start").click();
  await page.evaluate(() => window.koppla.queueCaller("sales"));
  await sales.getByTestId("queue-waiting").filter({ hasText: /^1$/ }).waitFor();
  assert.match(await sales.getAttribute("class"), /busy/);
  assert.equal(await page.locator("section.start > :first-child").getAttribute("data-testid"), "queues");
  await page.screenshot({ path: `${shots}/acd-queues.png` });

  await page.getByTestId("tab-settings").click();
  await page.getByTestId("setting-viewMode").selectOption("normal");
  await page.getByTestId("logout").click();
  await page.getByTestId("login-tab-sip").click();
  await page.getByTestId("login-server").fill("sip.example.com");
  await logIn(page);
  await page.getByTestId("contact-field").waitFor();
  assert.equal(await page.getByTestId("queues").count(), 0);
  assert.deepEqual(errors, []);
});

test("a call shows its timer, holds and resumes, sends keypad digits, and lands in history", async () => {
  const { page, errors } = await openApp();
  await page.getByTestId("search").fill("070-555 12 34");
  await page.getByTestId("search").press("Enter");
  await callAnswered(page);
  assert.match(await text(page.getByTestId("call-timer")), /^0:0\d$/);
  await page.waitForFunction(() => document.querySelector('[data-testid="call-timer"]')?.textContent === "0:01", null, { timeout: 4000 });
  await page.getByTestId("call-hold").click();
  await page.getByTestId("call-phase").filter({ hasText: "I vänteläge" }).waitFor();
  await page.getByTestId("call-resume").click();
  await page.getByTestId("call-phase").filter({ hasText: "Pågående" }).waitFor();
  await page.getByTestId("call-keypad").click();
  await page.getByTestId("key-1").click();
  await page.locator("body").press("5");
  await page.locator("body").press("#");
  assert.equal(await text(page.getByTestId("dtmf-sent")), "15#");
  await page.getByTestId("call-record").click();
  await page.getByText("● Spelar in").waitFor();
  await page.evaluate(() => window.koppla.recordingFailed("disk full"));
  assert.equal(await text(page.getByTestId("notice").locator("span")), "Något gick fel: inspelningen kunde inte göras");
  await page.getByTestId("notice").getByRole("button").click();
  await page.getByTestId("call-mute").click();
  assert.equal(await page.getByTestId("device-mute").getAttribute("aria-pressed"), "true");
  await page.screenshot({ path: `${shots}/call.png` });
  await page.getByTestId("call-hangup").click();
  await page.getByTestId("tab-history").click();
  const row = page.getByTestId("history-row").first();
  await row.waitFor();
  assert.match(await row.textContent(), /070-555 12 34/);
  await page.getByTestId("history-recordings").click();
  await page.getByTestId("history-row").filter({ hasText: "Inspelning" }).waitFor();
  await page.getByTestId("history-all").click();
  await page.screenshot({ path: `${shots}/history.png` });
  await page.getByTestId("history-call").first().click();
  await page.getByTestId("call-hangup").waitFor();
  assert.deepEqual(errors, []);
});

test("incoming: Enter answers; a second incoming call is listed beside the first; missed calls get a badge", async () => {
  const { page, errors } = await openApp();
  await page.evaluate(() => window.koppla.incoming("1003", "Anders Öberg"));
  await page.getByTestId("call-answer").waitFor();
  assert.equal(await titleBecomes(page, "Inkommande samtal: Anders Öberg – Koppla"), "Inkommande samtal: Anders Öberg – Koppla");
  await page.getByTestId("search").press("Enter");
  await page.getByTestId("call-timer").waitFor();
  assert.equal(await page.evaluate(() => window.__oscillators), 0);
  assert.equal(await titleBecomes(page, "Koppla"), "Koppla");
  await page.evaluate(() => window.koppla.incoming("1002", "Johanna Berg"));
  await page.getByTestId("call-reject").waitFor();
  // The call-waiting tone plays in Rust on the call's output (ringtone.rs), never in the webview.
  assert.equal(await page.evaluate(() => window.__oscillators), 0);
  assert.equal(await page.getByTestId("calls").locator("article").count(), 2);
  await page.screenshot({ path: `${shots}/call-waiting.png` });
  await page.evaluate(() => window.koppla.remoteHangup(2));
  await page.getByTestId("missed-badge").waitFor();
  assert.equal(await text(page.getByTestId("missed-badge")), "1");
  await page.getByTestId("start-missed").click();
  await page.getByTestId("history-missed").click();
  await page.getByTestId("history-row").filter({ hasText: "Missat" }).waitFor();
  assert.equal(await page.getByTestId("missed-badge").count(), 0);
  assert.deepEqual(errors, []);
});

test("blind and attended transfer end the transferred calls", async () => {
  const { page } = await openApp();
  await page.evaluate(() => window.koppla.incoming("1003", "Anders Öberg"));
  await page.getByTestId("call-answer").click();
  await page.getByTestId("call-transfer").click();
  await page.getByTestId("transfer-target").fill("1001");
  await page.getByTestId("transfer-blind").click();
  await page.getByTestId("call-phase").filter({ hasText: "Kopplat vidare" }).waitFor();

  await page.evaluate(() => window.koppla.incoming("1002", "Johanna Berg"));
  await page.getByTestId("call-answer").click();
  await page.getByTestId("call-hold").click();
  await page.getByTestId("search").fill("1001");
  await page.getByTestId("search").press("Enter");
  await page.evaluate(() => window.koppla.remoteAnswer());
  await page.locator("article.phase-established").waitFor();
  const held = page.locator("article.phase-held");
  await held.getByTestId("call-transfer").click();
  await held.locator('[data-testid^="transfer-attended-"]').click();
  await page.waitForFunction(() => document.querySelectorAll("article.phase-ended").length >= 2);
});

test("park: a parked call is listed with its wait, picked up again, and a refused pick-up is explained", async () => {
  const { page, errors } = await openApp();
  await page.setViewportSize({ width: 420, height: 720 });
  await page.evaluate(() => window.koppla.incoming("1003", "Anders Öberg"));
  await page.getByTestId("call-answer").click();
  await page.getByTestId("call-timer").waitFor();
  const parkButton = page.getByTestId("call-park");
  assert.equal(await parkButton.getAttribute("aria-label"), "Parkera");
  await page.screenshot({ path: `${shots}/call-park.png` });
  await parkButton.click();
  // The call ends here and waits in my personal queue.
  await page.getByTestId("call-phase").filter({ hasText: "Kopplat vidare" }).waitFor();
  const parked = page.getByTestId("parked");
  await parked.waitFor();
  assert.equal(await text(page.locator("#parked-heading")), "Parkerade samtal");
  const mine = parked.locator("li").first();
  assert.equal(await text(mine.getByTestId("parked-caller")), "Anders Öberg");
  assert.equal(await text(mine.getByTestId("parked-owner")), "Min kö · 1003");
  const first = await text(mine.getByTestId("parked-wait"));
  assert.match(first, /^00:0\d$/);
  await page.waitForFunction((was) => document.querySelector("[data-testid=parked] [data-testid=parked-wait]")
    ?.textContent !== was, first, { timeout: 3000 });
  await page.getByTestId("calls").locator("article").waitFor({ state: "detached" });

  // A colleague's call I may not take: the switch refuses and the reason is shown in Swedish.
  await page.evaluate(() => window.koppla.parkedElsewhere("0701234567", "Kund AB", "johanna", "Johanna Berg",
    { refuse: true, waitedS: 95 }));
  const theirs = parked.locator("li").filter({ hasText: "Kund AB" });
  assert.equal(await text(theirs.getByTestId("parked-owner")), "Väntar hos Johanna Berg · 0701234567");
  assert.match(await text(theirs.getByTestId("parked-wait")), /^01:3\d$/);
  // It fits the default window without scrolling sideways.
  const overflow = await page.evaluate(() => {
    const section = document.querySelector("[data-testid=parked]");
    return [document.documentElement.scrollWidth - document.documentElement.clientWidth,
      section.scrollWidth - section.clientWidth];
  });
  assert.deepEqual(overflow, [0, 0]);
  await page.screenshot({ path: `${shots}/parked.png` });
  await theirs.getByTestId("parked-pick-up").click();
  await page.getByTestId("parked-error").waitFor();
  assert.equal(await text(page.getByTestId("parked-error").locator("span")),
    "Kunde inte ta samtalet: du har inte behörighet att ta kollegors parkerade samtal");

  // Picking up my own call rings me with the caller and the app answers: an active call again.
  await mine.getByTestId("parked-pick-up").click();
  const again = page.getByTestId("calls").locator("article.phase-established");
  await again.waitFor();
  assert.equal(await text(again.locator(".who")), "Anders Öberg");
  assert.equal(await parked.locator("li").count(), 1);
  assert.equal(await page.getByTestId("parked-error").count(), 0);

  // A plain SIP account has no parking: no Park button and no parked list.
  await again.getByTestId("call-hangup").click();
  await page.getByTestId("tab-settings").click();
  await page.getByTestId("logout").click();
  await page.getByTestId("login-tab-sip").click();
  await page.getByTestId("login-server").fill("sip.example.com");
  await logIn(page);
  await page.evaluate(() => window.koppla.incoming("1002", "Johanna Berg"));
  await page.getByTestId("call-answer").click();
  await page.getByTestId("call-timer").waitFor();
  assert.equal(await page.getByTestId("call-park").count(), 0);
  assert.equal(await page.getByTestId("parked").count(), 0);
  assert.deepEqual(errors, []);
});

test("transfer here from a search hit: the switch rings the colleague, the call comes back and is taken; camp-on", async () => {
  const { page, errors } = await openApp();
  await page.evaluate(() => window.koppla.incoming("0701234567", "Kund AB"));
  await page.getByTestId("call-answer").click();
  await page.getByTestId("call-hold").click();
  await page.locator("article.phase-held").waitFor();

  // Every hit offers "Transfer here" for the held caller; only the busy colleague "Camp on".
  await page.getByTestId("search").fill("anna");
  const anna = page.getByTestId("hit").filter({ hasText: "Anna Lindqvist" });
  const johanna = page.getByTestId("hit").filter({ hasText: "Johanna Berg" });
  await anna.getByTestId("hit-transfer").waitFor();
  assert.equal(await text(anna.getByTestId("hit-transfer")), "Koppla hit");
  assert.equal(await anna.getByTestId("hit-transfer").getAttribute("title"),
    "Koppla Kund AB till Anna Lindqvist (utan att fråga först)");
  assert.equal(await anna.getByTestId("hit-camp-on").count(), 0);
  assert.equal(await text(johanna.getByTestId("hit-camp-on")), "Köa hos Johanna");
  assert.equal(await johanna.getByTestId("hit-camp-on").getAttribute("title"),
    "Kund AB väntar i Johanna Bergs kö och kopplas fram så fort Johanna Berg är ledig");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0);
  await page.screenshot({ path: `${shots}/transfer-here.png` });

  // Transfer to Anna without typing: the held call ends here (no call to Anna is placed) and the
  // switch rings her; I see it ringing with the time it has rung and can take it back.
  await anna.getByTestId("hit-transfer").click();
  await page.getByTestId("call-phase").filter({ hasText: "Kopplat vidare" }).waitFor();
  assert.equal(await page.locator("article.phase-calling, article.phase-ringing").count(), 0);
  const parked = page.getByTestId("parked");
  const ringing = parked.locator('[data-state="ringing"]');
  await ringing.waitFor();
  assert.equal(await text(ringing), "Ringer hos Anna Lindqvist");
  const row = parked.locator("li").filter({ hasText: "Kund AB" });
  assert.equal(await text(row.getByTestId("parked-take-back")), "Ta tillbaka");
  assert.equal(await row.getByTestId("parked-pick-up").count(), 0);
  await page.screenshot({ path: `${shots}/parked-ringing.png` });

  // Nobody answers: the call comes back to me, marked, and I take it.
  await page.evaluate(() => window.koppla.transferUnanswered());
  const recalled = parked.locator('[data-state="recalled"]');
  await recalled.waitFor();
  assert.equal(await text(recalled), "Tillbaka från Anna Lindqvist");
  assert.equal(await row.locator(".parked-alert").count(), 1);
  assert.equal(await row.getAttribute("title"), "Anna Lindqvist svarade inte – samtalet väntar på dig igen");
  await page.screenshot({ path: `${shots}/parked-recalled.png` });
  await row.getByTestId("parked-pick-up").click();
  const again = page.getByTestId("calls").locator("article.phase-established");
  await again.waitFor();
  assert.equal(await text(again.locator(".who")), "Kund AB");
  const againCard = page.getByTestId(await again.getAttribute("data-testid"));
  await parked.waitFor({ state: "detached" });

  // My one call (none held): camp it on Johanna, who is busy. It waits in her queue, put there by me.
  await page.getByTestId("search").fill("johanna");
  await page.getByTestId("hit").filter({ hasText: "Johanna Berg" }).getByTestId("hit-camp-on").click();
  await againCard.getByTestId("call-phase").filter({ hasText: "Kopplat vidare" }).waitFor();
  const camped = parked.locator("li").filter({ hasText: "Kund AB" });
  await camped.waitFor();
  assert.equal(await text(camped.getByTestId("parked-owner")), "Väntar hos Johanna Berg · parkerad av dig · 0701234567");
  assert.equal(await camped.locator('[data-state="parked"]').count(), 1);
  await page.screenshot({ path: `${shots}/parked-camped.png` });

  // A transfer taken back while it still rings: the colleague stops ringing, the call is mine again.
  await page.evaluate(() => window.koppla.incoming("0709876543", "Leverantör AB"));
  await page.locator("article.phase-ringing").getByTestId("call-answer").click();
  await page.getByTestId("search").fill("anders");
  await page.getByTestId("hit").filter({ hasText: "Anders Öberg" }).getByTestId("hit-transfer").click();
  const back = parked.locator("li").filter({ hasText: "Leverantör AB" });
  await back.locator('[data-state="ringing"]').waitFor();
  await back.getByTestId("parked-take-back").click();
  await page.getByTestId("calls").locator("article.phase-established").filter({ hasText: "Leverantör AB" }).waitFor();
  await back.waitFor({ state: "detached" });
  assert.equal(await parked.locator("li").count(), 1);

  // With the camped call answered by Johanna nothing is left.
  await page.evaluate(() => window.koppla.transferAnswered(document.querySelector("[data-testid=parked] li")
    ?.getAttribute("data-testid")?.replace("parked-", "")));
  await parked.waitFor({ state: "detached" });
  assert.deepEqual(errors, []);
});

test("a colleague on a call is marked live in the results and can be camped on; lunch stays busy", async () => {
  const { page, errors } = await openApp();
  await page.evaluate(() => window.koppla.incoming("0701234567", "Kund AB"));
  await page.getByTestId("call-answer").click();
  await page.locator("article.phase-established").waitFor();

  await page.getByTestId("search").fill("anna");
  const anna = page.getByTestId("hit").filter({ hasText: "Anna Lindqvist" });
  const johanna = page.getByTestId("hit").filter({ hasText: "Johanna Berg" });
  await anna.getByTestId("hit-transfer").waitFor();
  assert.equal(await anna.getByTestId("hit-on-call").count(), 0);
  assert.equal(await anna.getByTestId("hit-camp-on").count(), 0, "available and not on the phone");
  assert.equal(await johanna.getByTestId("hit-camp-on").count(), 1, "at lunch: still busy");

  // Anna's phone rings (the switch's on_call_changed): the hit on screen says so at once.
  await page.evaluate(() => window.koppla.colleagueOnCall("u1", true));
  await anna.getByTestId("hit-on-call").waitFor();
  assert.equal(await text(anna.getByTestId("hit-on-call")), "I samtal");
  assert.equal(await anna.locator(".presence").getAttribute("title"), "I samtal – Tillgänglig");
  assert.equal(await text(anna.getByTestId("hit-camp-on")), "Köa hos Anna");
  assert.equal(await johanna.getByTestId("hit-on-call").count(), 0);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0);
  await page.screenshot({ path: `${shots}/colleague-on-call.png` });

  // Her call ends: the mark and the camp-on go.
  await page.evaluate(() => window.koppla.colleagueOnCall("u1", false));
  await anna.getByTestId("hit-on-call").waitFor({ state: "detached" });
  assert.equal(await anna.getByTestId("hit-camp-on").count(), 0);
  assert.deepEqual(errors, []);
});

test("a colleague's ringing call is taken from the search hit and answers by itself; talking only says so", async () => {
  const { page, errors } = await openApp();
  await page.getByTestId("search").fill("anna");
  const anna = page.getByTestId("hit").filter({ hasText: "Anna Lindqvist" });
  await anna.waitFor();
  assert.equal(await anna.getByTestId("hit-pick-up").count(), 0, "nothing to take from a free colleague");

  // Talking, not ringing: the switch has nothing to hand over and the app says so.
  await page.evaluate(() => window.koppla.colleagueOnCall("u1", true));
  await anna.getByTestId("hit-pick-up").click();
  await page.getByText("inget samtal ringer hos kollegan just nu").waitFor();

  // Ringing: one click and the call is mine, answered.
  await page.evaluate(() => window.koppla.colleagueRinging("u1", "annal"));
  await anna.getByTestId("hit-pick-up").click();
  await page.locator("article.phase-established").waitFor();
  await page.screenshot({ path: `${shots}/colleague-pick-up.png` });
  assert.deepEqual(errors, []);
});

/** Horizontal overflow of the document and of the hit list, and the action buttons that do not
 * lie wholly inside the viewport. */
async function hitLayout(page) {
  return page.evaluate(() => {
    const doc = document.documentElement;
    const list = document.querySelector("[data-testid=hits]");
    const outside = [...document.querySelectorAll("[data-testid=hits] button")]
      .map((button) => ({ id: button.dataset.testid, box: button.getBoundingClientRect() }))
      .filter(({ box }) => box.left < 0 || box.right > doc.clientWidth || box.width === 0)
      .map(({ id, box }) => `${id} ${Math.round(box.left)}-${Math.round(box.right)}`);
    return { page: doc.scrollWidth - doc.clientWidth, list: list.scrollWidth - list.clientWidth, outside };
  });
}

test("a busy, ringing colleague's three hit actions fit at 420 px and at 1280 px (and at the 340 px minimum)", async () => {
  const { page, errors } = await openApp();
  await page.evaluate(() => window.koppla.incoming("0701234567", "Kund AB"));
  await page.getByTestId("call-answer").click();
  await page.locator("article.phase-established").waitFor();
  await page.evaluate(() => window.koppla.colleagueRinging("u1", "annal"));
  await page.getByTestId("search").fill("anna");
  const anna = page.getByTestId("hit").filter({ hasText: "Anna Lindqvist" });
  await anna.getByTestId("hit-pick-up").waitFor();
  assert.equal(await text(anna.getByTestId("hit-camp-on")), "Köa hos Anna");
  assert.equal(await text(anna.getByTestId("hit-transfer")), "Koppla hit");
  assert.equal(await anna.getByTestId("hit-pick-up").getAttribute("aria-label"), "Ta samtalet som ringer hos Anna Lindqvist");
  for (const width of [340, 420, 1280]) {
    await page.setViewportSize({ width, height: 720 });
    await page.waitForFunction((w) => document.documentElement.clientWidth === w, width);
    const layout = await hitLayout(page);
    assert.deepEqual(layout, { page: 0, list: 0, outside: [] }, `at ${width} px`);
    // The number stays clear of the name.
    const [name, number] = await Promise.all([anna.locator(".name").boundingBox(), anna.locator(".number").boundingBox()]);
    assert.ok(name.x + name.width <= number.x, `at ${width} px the name (${JSON.stringify(name)}) runs into the number (${JSON.stringify(number)})`);
    await page.screenshot({ path: `${shots}/hit-actions-${width}.png` });
  }
  assert.deepEqual(errors, []);
});

test("drag and drop transfer: a call card dropped on a hit is transferred there, or camped on a busy colleague", async () => {
  const { page, errors } = await openApp();
  await page.evaluate(() => window.koppla.incoming("0701234567", "Kund AB"));
  await page.getByTestId("call-answer").click();
  const first = page.locator("article.phase-established");
  await first.waitFor();
  const firstCard = page.getByTestId(await first.getAttribute("data-testid"));
  assert.equal(await firstCard.getAttribute("draggable"), "true");
  await page.evaluate(() => window.koppla.colleagueOnCall("u1", true));
  await page.getByTestId("search").fill("anna");
  const anna = page.getByTestId("hit").filter({ hasText: "Anna Lindqvist" });
  const johanna = page.getByTestId("hit").filter({ hasText: "Johanna Berg" });
  await anna.getByTestId("hit-camp-on").waitFor();

  // Dropped on Anna's name: a blind transfer; the switch rings her, as with "Transfer here".
  await firstCard.dragTo(anna, { targetPosition: { x: 60, y: 12 } });
  await firstCard.getByTestId("call-phase").filter({ hasText: "Kopplat vidare" }).waitFor();
  const parked = page.getByTestId("parked");
  await parked.locator("li").filter({ hasText: "Kund AB" }).locator('[data-state="ringing"]').waitFor();
  assert.equal(await text(parked.locator("li").filter({ hasText: "Kund AB" }).locator(".parked-state")), "Ringer hos Anna Lindqvist");

  // Dropped on her "Camp on" button: she is on the phone, so the call waits in her queue.
  await page.evaluate(() => window.koppla.incoming("0709876543", "Leverantör AB"));
  await page.locator("article.phase-ringing").getByTestId("call-answer").click();
  const second = page.locator("article.phase-established");
  await second.waitFor();
  const secondCard = page.getByTestId(await second.getAttribute("data-testid"));
  await secondCard.dragTo(anna.getByTestId("hit-camp-on"));
  await secondCard.getByTestId("call-phase").filter({ hasText: "Kopplat vidare" }).waitFor();
  const camped = parked.locator("li").filter({ hasText: "Leverantör AB" });
  await camped.waitFor();
  assert.equal(await text(camped.getByTestId("parked-owner")), "Väntar hos Anna Lindqvist · parkerad av dig · 0709876543");

  // A held call dragged with Alt onto Johanna (at lunch, so busy): the hit says what a drop does
  // and whose call it is, and the drop camps the call on her.
  await page.evaluate(() => window.koppla.incoming("0705550000", "Tredje AB"));
  await page.locator("article.phase-ringing").getByTestId("call-answer").click();
  await page.locator("article.phase-established").getByTestId("call-hold").click();
  const held = page.locator("article.phase-held");
  await held.waitFor();
  const heldCard = page.getByTestId(await held.getAttribute("data-testid"));
  // Both ends of the drag on screen: the calls panel is tall now; a taller window shows both.
  await page.setViewportSize({ width: 440, height: 1000 });
  await heldCard.scrollIntoViewIfNeeded();
  await johanna.scrollIntoViewIfNeeded();
  const from = await heldCard.locator(".who").boundingBox();
  const to = await johanna.locator(".name").boundingBox();
  await page.mouse.move(from.x + 10, from.y + 5);
  await page.mouse.down();
  await page.mouse.move(from.x + 30, from.y + 30, { steps: 4 });
  await page.keyboard.down("Alt");
  await page.mouse.move(to.x + 20, to.y + 5, { steps: 8 });
  await johanna.getByTestId("hit-drop").waitFor();
  // Nothing moved under the pointer on the way (the drop label floats above the hit).
  assert.deepEqual(await johanna.locator(".name").boundingBox(), to);
  assert.equal(await text(johanna.getByTestId("hit-drop")), "Släpp för att köa Tredje AB hos Johanna Berg");
  assert.match(await johanna.getAttribute("class"), /drop-over/);
  assert.match(await anna.getAttribute("class"), /drop-ready/);
  await page.screenshot({ path: `${shots}/drag-drop-camp-on.png` });
  await page.mouse.up();
  await page.keyboard.up("Alt");
  await heldCard.getByTestId("call-phase").filter({ hasText: "Kopplat vidare" }).waitFor();
  const onJohanna = parked.locator("li").filter({ hasText: "Tredje AB" });
  await onJohanna.waitFor();
  assert.equal(await text(onJohanna.getByTestId("parked-owner")), "Väntar hos Johanna Berg · parkerad av dig · 0705550000");
  assert.equal(await page.locator(".drop-ready, .drop-over, [data-testid=hit-drop]").count(), 0);
  assert.deepEqual(errors, []);
});

test("camp-on reminder: a call I camped on a colleague blinks red at the interval, statically with reduced motion, off at 0", async () => {
  const { page, errors } = await openApp();
  await page.setViewportSize({ width: 420, height: 720 });
  // Camped by me on Johanna: one just at its 30 s reminder, one between reminders; and a call
  // parked in my own queue, which never reminds.
  const [blinking, between] = await page.evaluate(() => [
    window.koppla.parkedElsewhere("0701234567", "Kund AB", "johanna", "Johanna Berg", { by: "anna", waitedS: 30 }),
    window.koppla.parkedElsewhere("0709876543", "Leverantör AB", "johanna", "Johanna Berg", { by: "anna", waitedS: 40 }),
    window.koppla.parkedElsewhere("0705550000", "Tredje AB", "anna", "Test Testsson", { by: "anna", waitedS: 90 }),
  ]);
  const row = (id) => page.getByTestId(`parked-${id}`);
  await row(blinking).waitFor();
  assert.equal(await row(blinking).getAttribute("data-remind"), "blink");
  assert.equal(await row(between).getAttribute("data-remind"), "due");
  assert.equal(await page.getByTestId("parked").locator("[data-remind]").count(), 2);
  assert.equal(await text(row(blinking).getByTestId("parked-owner")), "Väntar hos Johanna Berg · parkerad av dig · 0701234567");
  assert.match(await row(blinking).getAttribute("title"), /^Kund AB väntar fortfarande hos Johanna Berg \(00:3\d\)$/);
  const style = (locator, property) => locator.evaluate((el, p) => getComputedStyle(el)[p], property);
  assert.equal(await style(row(blinking), "animationName"), "camp-remind");
  assert.equal(await style(row(blinking).locator(".parked-remind"), "display"), "inline-block");
  assert.equal(await style(row(between).locator(".parked-remind"), "display"), "none");
  await page.screenshot({ path: `${shots}/camp-on-reminder.png` });

  // Reduced motion: no blinking, a red marker that stays.
  await page.emulateMedia({ reducedMotion: "reduce" });
  assert.equal(await style(row(blinking), "animationName"), "none");
  assert.equal(await style(row(between).locator(".parked-remind"), "display"), "inline-block");
  assert.equal(await style(row(between), "borderTopColor"), "rgb(179, 38, 30)");
  await page.screenshot({ path: `${shots}/camp-on-reminder-reduced-motion.png` });
  await page.emulateMedia({ reducedMotion: "no-preference" });

  // The interval is a setting; 0 turns it off.
  await page.getByTestId("tab-settings").click();
  const setting = page.getByTestId("setting-campOnReminderSecs");
  assert.equal(await setting.inputValue(), "30");
  assert.match(await text(page.locator("label").filter({ has: setting })), /^Påminnelse om köade samtal \(sekunder\)/);
  await setting.fill("0");
  await setting.press("Enter");
  await page.getByTestId("parked").locator("[data-remind]").first().waitFor({ state: "detached" });
  await page.reload();
  await page.getByTestId("tab-settings").click();
  assert.equal(await page.getByTestId("setting-campOnReminderSecs").inputValue(), "0");
  assert.deepEqual(errors, []);
});

test("a typed number no one has gets its own row: call it, or transfer my held call there", async () => {
  const { page, errors } = await openApp();
  await page.getByTestId("search").fill("9999");
  await page.getByTestId("typed-number").waitFor();
  assert.equal(await text(page.getByTestId("typed-call")), "Ring 9999");
  assert.equal(await page.getByText("Inga träffar.").count(), 0, "a number to call is not 'no matches'");
  assert.equal(await page.getByTestId("typed-transfer").count(), 0, "nothing to transfer without a call");
  await page.getByTestId("search").fill("anna");
  await page.getByTestId("hit").first().waitFor();
  assert.equal(await page.getByTestId("typed-number").count(), 0, "names get no such row");

  // With a call held, the typed number takes it: no typing into the transfer field.
  await page.evaluate(() => window.koppla.incoming("0701234567", "Kund AB"));
  await page.getByTestId("call-answer").click();
  await page.locator("article.phase-established").waitFor();
  await page.getByTestId("call-hold").click();
  await page.locator("article.phase-held").waitFor();
  await page.getByTestId("search").fill("08-123 456 78");
  await page.getByTestId("typed-transfer").click();
  await page.getByTestId("call-phase").filter({ hasText: "Kopplat vidare" }).waitFor();
  await page.screenshot({ path: `${shots}/typed-number-transfer.png` });
  assert.deepEqual(errors, []);
});

test("devices: output and volume in the status bar, the level meter in a call, devices in settings", async () => {
  const { page, errors } = await openApp();
  const output = page.getByTestId("device-output");
  await output.locator("option", { hasText: "USB-headset" }).waitFor({ state: "attached" });
  assert.deepEqual(await output.locator("option").allTextContents(), ["Standard", "Högtalare", "USB-headset"]);
  await output.selectOption("USB-headset");
  await page.getByTestId("device-volume").fill("40");
  assert.equal(await page.getByTestId("device-volume").getAttribute("title"), "Volym 40 %");

  assert.equal(await page.getByTestId("input-level").evaluate((m) => m.value), 0);
  await page.getByTestId("search").fill("1001");
  await page.getByTestId("search").press("Enter");
  await callAnswered(page);
  await page.waitForFunction(() => document.querySelector('[data-testid="input-level"]').value > 0.4, null, { timeout: 3000 });
  await page.screenshot({ path: `${shots}/devices-in-call.png` });
  await page.getByTestId("call-hangup").click();
  await page.waitForFunction(() => document.querySelector('[data-testid="input-level"]').value === 0, null, { timeout: 3000 });

  await page.getByTestId("tab-settings").click();
  assert.equal(await page.getByTestId("setting-audioOutput").inputValue(), "USB-headset");
  await page.getByTestId("setting-audioInput").selectOption("USB-headset");
  await page.reload();
  await page.getByTestId("tab-settings").click();
  assert.equal(await page.getByTestId("setting-audioInput").inputValue(), "USB-headset");
  assert.equal(await page.getByTestId("setting-audioRingtone").inputValue(), "");
  assert.equal(await page.getByTestId("device-volume").inputValue(), "40");
  assert.deepEqual(errors, []);
});

test("devices: a machine without sound devices says so and still works", async () => {
  const { page, errors } = await openApp({ query: "?nodevices" });
  await page.getByTestId("tab-settings").click();
  const input = page.getByTestId("setting-audioInput");
  await input.locator("option", { hasText: "Inga ljudenheter hittades" }).waitFor({ state: "attached" });
  assert.equal(await input.isDisabled(), true);
  assert.equal(await page.getByTestId("device-output").isDisabled(), true);
  assert.match(await text(page.getByTestId("audio-error")), /no audio host/);
  await page.getByTestId("settings-audio").screenshot({ path: `${shots}/settings-audio-none.png` });
  assert.deepEqual(errors, []);
});

test("contacts: create, edit and delete a local contact", async () => {
  const { page, errors } = await openApp();
  await page.getByTestId("tab-contacts").click();
  await page.getByTestId("group-vip").waitFor();
  await page.getByTestId("contact-new").click();
  await page.getByTestId("contact-save").click();
  await page.getByText("Namn behövs.").waitFor();
  await page.getByTestId("contact-name").fill("Greta Garbo");
  await page.getByTestId("contact-number-0").fill("08-123 456 78");
  await page.getByTestId("contact-kind").selectOption("vip");
  await page.getByTestId("contact-save").click();
  assert.equal(await text(page.getByTestId("card-name")), "Greta Garbo");
  await page.getByTestId("contact-edit").click();
  await page.getByTestId("contact-name").fill("Greta Lovisa Garbo");
  await page.getByTestId("contact-kind").selectOption("favourite");
  await page.getByTestId("contact-save").click();
  assert.equal(await text(page.getByTestId("card-name")), "Greta Lovisa Garbo");
  await page.getByText("← Tillbaka").click();
  assert.match(await page.getByTestId("group-favourite").textContent(), /Greta Lovisa Garbo/);
  await page.screenshot({ path: `${shots}/contacts.png` });
  await page.getByText("Greta Lovisa Garbo").click();
  await page.getByTestId("contact-delete").click();
  await page.getByTestId("contact-delete-confirm").click();
  await page.getByTestId("contact-new").waitFor();
  assert.equal(await page.getByText("Greta Lovisa Garbo").count(), 0);
  // The new contact is searchable from the start page too.
  await page.getByTestId("tab-start").click();
  await page.getByTestId("search").fill("britt");
  await page.getByTestId("hit").filter({ hasText: "VIP" }).waitFor();
  assert.deepEqual(errors, []);
});

test("settings persist across a reload, English switch, hotkey rebinding, logout", async () => {
  const { page, errors } = await openApp();
  await page.getByTestId("tab-settings").click();
  await page.getByTestId("setting-autoAnswer").check();
  await page.getByTestId("setting-searchDelayMs").fill("10");
  await page.getByTestId("setting-searchDelayMs").press("Enter");
  assert.equal(await page.getByTestId("setting-searchDelayMs").inputValue(), "50");
  await page.getByTestId("setting-viewMode").selectOption("operator");
  await page.getByTestId("setting-externalAppUrl").fill("ftp://x");
  await page.getByTestId("setting-externalAppUrl").press("Enter");
  await page.getByText("måste börja med http").waitFor();
  await page.getByTestId("setting-externalAppUrl").fill("https://www.hitta.se/sök?vad={number}");
  await page.getByTestId("setting-externalAppUrl").press("Enter");
  await page.getByTestId("language").selectOption("en");
  assert.equal(await text(page.getByTestId("tab-settings")), "Settings");
  await page.getByTestId("hotkey").fill("F9");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByText("Active: F9").waitFor();
  await page.setViewportSize({ width: 440, height: 1400 });
  await page.screenshot({ path: `${shots}/settings.png` });
  await page.setViewportSize({ width: 440, height: 720 });

  await page.reload();
  await page.getByTestId("tab-settings").click();
  assert.equal(await text(page.getByTestId("tab-settings")), "Settings");
  assert.equal(await page.getByTestId("setting-autoAnswer").isChecked(), true);
  assert.equal(await page.getByTestId("setting-searchDelayMs").inputValue(), "50");
  assert.equal(await page.getByTestId("setting-viewMode").inputValue(), "operator");
  assert.equal(await page.getByTestId("hotkey").inputValue(), "F9");
  assert.equal(await page.getByTestId("setting-externalAppUrl").inputValue(), "https://www.hitta.se/sök?vad={number}");

  // Auto-answer now answers an incoming call on its own.
  await page.evaluate(() => window.koppla.incoming("1001", "Anna Lindqvist"));
  await page.getByTestId("call-timer").waitFor();
  await page.getByText("Open in external app").waitFor();
  await page.setViewportSize({ width: 900, height: 600 });
  await page.screenshot({ path: `${shots}/operator-view.png` });
  await page.setViewportSize({ width: 440, height: 720 });
  await page.getByTestId("call-hangup").click();

  // A ringing call brought the start page forward; go back to log out.
  await page.getByTestId("tab-settings").click();
  await page.getByTestId("logout").click();
  await page.getByTestId("login-submit").waitFor();
  assert.equal(await page.getByTestId("login-username").inputValue(), "anna");
  assert.deepEqual(errors, []);
});

test("a link asks before calling and prefills the number", async () => {
  const { page } = await openApp();
  await page.evaluate(() => window.koppla.dialRequest("link", "070-123 45 67"));
  const prompt = page.getByTestId("dial-request-number");
  await prompt.waitFor();
  assert.equal(await prompt.textContent(), "Ringa 070-123 45 67?");
  // The search box is filled by an effect after the prompt renders: wait one render for it.
  await page.waitForFunction(
    () => document.querySelector("[data-testid=search]")?.value === "070-123 45 67",
    null,
    { timeout: 5000 },
  );
  assert.equal(await page.getByTestId("search").inputValue(), "070-123 45 67");
  await page.screenshot({ path: `${shots}/dial-request.png` });
  await page.getByTestId("dial-request-call").click();
  await page.getByTestId("call-hangup").waitFor();
});

test("the hotkey calls at once; a hostile link is refused with a translated reason", async () => {
  const { page } = await openApp();
  await page.evaluate(() => window.koppla.dialRequest("hotkey", "08-555 123 45"));
  await page.getByTestId("call-hangup").waitFor();
  assert.equal(await page.getByTestId("dial-request").count(), 0);
  await page.evaluate(() => window.koppla.dialRequest("link", "javascript:alert(1)"));
  const error = page.getByTestId("dial-request-error");
  await error.waitFor();
  assert.match(await error.textContent(), /inte ett telefonnummer/);
});

test("settings: call shortcuts are recorded, checked and used; external app, templates and separator persist", async () => {
  const { page, errors } = await openApp();
  await page.getByTestId("tab-settings").click();
  const keys = page.getByTestId("settings-keys");
  await page.getByTestId("key-answer").click();
  assert.equal(await page.getByTestId("key-answer").inputValue(), "Tryck tangenter…");
  await page.keyboard.press("Control+Alt+KeyK");
  await page.waitForFunction(() => document.querySelector('[data-testid="key-answer"]')?.value === "Ctrl+Alt+K");
  await page.getByTestId("key-mute").click();
  await page.keyboard.press("KeyM");
  assert.match(await text(page.getByTestId("keys-error")), /M skulle skrivas i textrutor/);
  await page.keyboard.press("Control+Alt+KeyK");
  assert.equal(await text(page.getByTestId("keys-error")), "Ctrl+Alt+K används redan för Svara.");
  await keys.screenshot({ path: `${shots}/settings-keys.png` });
  await page.keyboard.press("Escape");
  assert.equal(await page.getByTestId("key-mute").inputValue(), "Ctrl+Shift+M");

  await page.getByTestId("setting-externalAppUrl").fill("https://crm.example.se/?tel={number}");
  await page.getByTestId("setting-externalAppUrl").press("Enter");
  await page.getByTestId("setting-externalAppOpen").selectOption("whenAnswered");
  await page.getByTestId("template-add").click();
  await page.getByTestId("template-2").fill("Jag ringer upp i eftermiddag");
  await page.getByTestId("template-2").press("Enter");
  await page.getByTestId("setting-emailSeparator").selectOption("comma");
  await page.getByTestId("settings-messages").screenshot({ path: `${shots}/settings-messages.png` });
  await page.screenshot({ path: `${shots}/settings-external-and-messages.png` });

  await page.reload();
  await page.getByTestId("tab-settings").click();
  assert.equal(await page.getByTestId("key-answer").inputValue(), "Ctrl+Alt+K");
  assert.equal(await page.getByTestId("setting-externalAppOpen").inputValue(), "whenAnswered");
  assert.equal(await page.getByTestId("template-2").inputValue(), "Jag ringer upp i eftermiddag");
  assert.equal(await page.getByTestId("setting-emailSeparator").inputValue(), "comma");

  // The recorded keys work from anywhere in the window.
  await page.evaluate(() => window.koppla.incoming("1003", "Anders Öberg"));
  await page.getByTestId("call-answer").waitFor();
  await page.keyboard.press("Control+Alt+KeyK");
  await page.getByTestId("call-timer").waitFor();
  await page.keyboard.press("Control+Shift+KeyM");
  await page.locator('[data-testid="call-mute"][aria-pressed="true"]').waitFor();
  await page.keyboard.press("Control+Shift+KeyH");
  await page.getByTestId("call-phase").filter({ hasText: "I vänteläge" }).waitFor();
  await page.keyboard.press("Control+Shift+KeyH");
  await page.getByTestId("call-phase").filter({ hasText: "Pågående" }).waitFor();
  await page.keyboard.press("Control+Shift+KeyE");
  await page.getByTestId("call-phase").filter({ hasText: "Avslutat" }).waitFor();
  await page.keyboard.press("Control+KeyF");
  await page.waitForFunction(() => document.activeElement?.getAttribute("data-testid") === "search");
  assert.deepEqual(errors, []);
});

test("contacts: Send message opens the mail client with a template; selected contacts are e-mailed at once", async () => {
  const { page, errors } = await openApp();
  await page.getByTestId("tab-contacts").click();
  await page.getByTestId("contact-row").filter({ hasText: "Britt Ek" }).locator("button.main").click();
  await page.getByTestId("send-message").click();
  await page.getByTestId("message-templates").waitFor();
  await page.screenshot({ path: `${shots}/contact-send-message.png` });
  await page.getByRole("menuitem", { name: "Ring mig när du kan" }).click();
  assert.deepEqual(await page.evaluate(() => window.koppla.opened), [
    "mailto:britt@ek.se?subject=Ring%20mig%20n%C3%A4r%20du%20kan&body=Ring%20mig%20n%C3%A4r%20du%20kan",
  ]);

  await page.getByRole("button", { name: /Tillbaka/ }).click();
  for (const box of await page.getByTestId("contact-select").all()) await box.check();
  assert.equal(await text(page.getByTestId("email-selected")), "E-posta valda (2)");
  await page.screenshot({ path: `${shots}/contacts-selected.png` });
  await page.getByTestId("email-selected").click();
  await page.waitForFunction(() => window.koppla.opened.length === 2);
  // Outlook's ";" is the default separator.
  assert.equal(await page.evaluate(() => window.koppla.opened[1]), "mailto:britt@ek.se;pelle@holmbygg.se");

  // A colleague found in the search box: the selected hit offers the same, without calling.
  await page.getByTestId("tab-start").click();
  await page.getByTestId("search").fill("johanna");
  await page.locator(".hit.selected").getByTestId("send-message").click();
  await page.screenshot({ path: `${shots}/search-send-message.png` });
  await page.getByRole("menuitem", { name: "Jag sitter i möte, återkommer" }).click();
  await page.waitForFunction(() => window.koppla.opened.length === 3);
  assert.match(await page.evaluate(() => window.koppla.opened[2]), /^mailto:johanna\.berg@exempel\.se\?subject=Jag%20sitter/);
  assert.equal(await page.getByTestId("calls").locator("article").count(), 0);
  assert.deepEqual(errors, []);
});

test("voicemail: the badge counts new messages, a message plays to the end and is heard, delete with undo", async () => {
  const { page, errors } = await openApp();
  const badge = page.getByTestId("voicemail-badge");
  await badge.waitFor();
  assert.equal(await text(badge), "1");
  await page.evaluate(() => window.koppla.voicemailLeft("0709876543", "Kund AB", 1200));
  await page.getByTestId("voicemail-badge").filter({ hasText: "2" }).waitFor();
  await page.getByTestId("tab-voicemail").click();
  const rows = page.getByTestId("voicemail-row");
  assert.deepEqual(await rows.locator("strong").allTextContents(), ["Kund AB", "Britt Ek", "Johanna Berg"]);
  assert.equal(await text(page.getByTestId("voicemail-counts")), "2 nya · 1 sparat");
  await page.screenshot({ path: `${shots}/voicemail.png` });

  // Played to its end, the newest message counts as heard and the badge goes down.
  await rows.first().getByTestId("voicemail-play").click();
  await page.getByTestId("voicemail-position").waitFor();
  await page.screenshot({ path: `${shots}/voicemail-playing.png` });
  await rows.first().and(page.locator('[data-heard="true"]')).waitFor();
  assert.equal(await text(page.getByTestId("voicemail-badge")), "1");

  // Delete offers undo; undone, the message stays; otherwise it goes after a moment.
  await rows.first().getByTestId("voicemail-delete").click();
  await page.getByTestId("voicemail-undo").click();
  assert.equal(await rows.count(), 3);
  await rows.first().getByTestId("voicemail-delete").click();
  await page.getByTestId("voicemail-undo-bar").waitFor({ state: "detached", timeout: 8000 });
  assert.deepEqual(await rows.locator("strong").allTextContents(), ["Britt Ek", "Johanna Berg"]);

  await rows.first().getByTestId("voicemail-save").click();
  assert.match(await text(page.getByTestId("voicemail-saved")), /Sparat som .*0701234567/);
  await page.getByTestId("voicemail-call").click();
  await page.getByTestId("call-phase").waitFor();
  assert.deepEqual(errors, []);
});

test("voicemail with a plain SIP server: message-waiting counts and Call voicemail with the configured number", async () => {
  const { page, errors } = await openApp({ loggedIn: false });
  await page.getByTestId("login-tab-sip").click();
  await page.getByTestId("login-server").fill("sip.example.com");
  await logIn(page);
  await page.getByTestId("tab-settings").click();
  await page.getByTestId("setting-voicemailNumber").fill("*97");
  await page.getByTestId("setting-voicemailNumber").press("Enter");
  await page.evaluate(() => window.koppla.messageWaiting(3, 1));
  await page.getByTestId("voicemail-badge").filter({ hasText: "3" }).waitFor();
  await page.getByTestId("tab-voicemail").click();
  assert.equal(await text(page.getByTestId("voicemail-counts")), "3 nya · 1 sparat");
  assert.equal(await page.getByTestId("voicemail-row").count(), 0);
  await page.getByTestId("voicemail-call").click();
  await page.getByTestId("call-phase").waitFor();
  assert.match(await text(page.getByTestId("calls")), /\*97/);
  assert.deepEqual(errors, []);
});

test("voicemail settings: a PIN, a greeting uploaded from a WAV file, the e-mail notice", async () => {
  const { page, errors } = await openApp();
  await page.getByTestId("tab-voicemail").click();
  await page.getByTestId("voicemail-settings").locator("summary").click();
  await page.getByTestId("voicemail-pin").fill("12");
  await page.getByTestId("voicemail-pin-save").click();
  await page.getByText("PIN-koden ska vara 4 till 10 siffror").waitFor();
  await page.getByTestId("voicemail-pin").fill("4711");
  await page.getByTestId("voicemail-pin-save").click();
  await page.getByTestId("voicemail-pin-status").filter({ hasText: "PIN-koden är sparad." }).waitFor();

  // One second of 8 kHz 16-bit mono: a header and 16000 bytes of samples.
  const wav = Buffer.alloc(44 + 16000);
  wav.write("RIFF", 0);
  wav.writeUInt32LE(36 + 16000, 4);
  wav.write("WAVEfmt ", 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(8000, 24);
  wav.writeUInt32LE(16000, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write("data", 36);
  wav.writeUInt32LE(16000, 40);
  const busy = page.getByTestId("greeting-busy");
  await busy.getByTestId("greeting-upload").setInputFiles({ name: "upptagen.wav", mimeType: "audio/wav", buffer: wav });
  await busy.getByTestId("greeting-state").filter({ hasText: "0:01" }).waitFor();
  await page.getByTestId("greeting-noAnswer").getByTestId("greeting-upload")
    .setInputFiles({ name: "bild.png", mimeType: "image/png", buffer: Buffer.from("not audio") });
  await page.getByTestId("notice").filter({ hasText: "filen är ingen WAV-ljudfil som går att läsa" }).waitFor();

  await page.getByTestId("voicemail-notify-address").fill("anna.privat@exempel.se");
  await page.getByTestId("voicemail-notify-enabled").check();
  await page.screenshot({ path: `${shots}/voicemail-settings.png`, fullPage: true });
  // Reopened, the tab shows what the switch kept.
  await page.getByTestId("tab-start").click();
  await page.getByTestId("tab-voicemail").click();
  await page.getByTestId("voicemail-settings").locator("summary").click();
  await page.getByTestId("voicemail-pin-status").filter({ hasText: "En PIN-kod är satt." }).waitFor();
  assert.equal(await page.getByTestId("voicemail-notify-enabled").isChecked(), true);
  assert.equal(await page.getByTestId("voicemail-notify-address").inputValue(), "anna.privat@exempel.se");
  await busy.getByTestId("greeting-state").filter({ hasText: "0:01" }).waitFor();
  assert.deepEqual(errors, []);
});
