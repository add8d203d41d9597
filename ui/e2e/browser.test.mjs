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

async function openApp(locale = "sv-SE") {
  const context = await browser.newContext({ locale, viewport: { width: 420, height: 680 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(`${base}/e2e/mock.html`);
  await page.getByTestId("search").waitFor();
  return { page, errors };
}

test("start page is Swedish by default and the search box has focus-ready hint", async () => {
  const { page, errors } = await openApp();
  assert.equal(await page.getByTestId("tab-settings").textContent(), "Inställningar");
  assert.equal(await page.getByTestId("search").getAttribute("placeholder"), "Sök namn eller nummer");
  await page.screenshot({ path: `${shots}/start.png` });
  assert.deepEqual(errors, []);
});

test("a link asks before calling and prefills the number", async () => {
  const { page } = await openApp();
  await page.evaluate(() => window.koppla.dialRequest("link", "070-123 45 67"));
  const prompt = page.getByTestId("dial-request-number");
  await prompt.waitFor();
  assert.equal(await prompt.textContent(), "Ringa 070-123 45 67?");
  assert.equal(await page.getByTestId("search").inputValue(), "070-123 45 67");
  await page.screenshot({ path: `${shots}/dial-request.png` });
});

test("a hostile link is refused with a translated reason", async () => {
  const { page } = await openApp();
  await page.evaluate(() => window.koppla.dialRequest("link", "javascript:alert(1)"));
  const error = page.getByTestId("dial-request-error");
  await error.waitFor();
  assert.match(await error.textContent(), /inte ett telefonnummer/);
});

test("settings switch the language to English and rebind the hotkey", async () => {
  const { page } = await openApp();
  await page.getByTestId("tab-settings").click();
  await page.getByTestId("language").selectOption("en");
  assert.equal(await page.getByTestId("tab-settings").textContent(), "Settings");
  await page.getByTestId("hotkey").fill("F9");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByText("Active: F9").waitFor();
  await page.screenshot({ path: `${shots}/settings.png` });
});
