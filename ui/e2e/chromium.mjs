// Starts the UI on Vite with the mocked backend (mock.html) and a headless Chromium to drive it,
// for spec files that want a fresh page per test.
import { fileURLToPath } from "node:url";
import { createServer } from "vite";
import { chromium } from "playwright-core";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Vite + Chromium; `open(query)` gives a fresh page (own localStorage) at the mock's login. */
export async function startMockUi() {
  const server = await createServer({
    configFile: `${root}/vite.config.ts`,
    server: { port: 0, host: "127.0.0.1", strictPort: false },
    logLevel: "error",
  });
  await server.listen();
  const base = `http://127.0.0.1:${server.httpServer.address().port}`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_BIN ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
  return {
    async open(query = "", { locale = "sv-SE" } = {}) {
      const context = await browser.newContext({ locale, viewport: { width: 440, height: 720 } });
      const page = await context.newPage();
      const errors = [];
      page.on("pageerror", (error) => errors.push(error.message));
      await page.goto(`${base}/e2e/mock.html${query}`);
      await page.getByTestId("login-submit").waitFor();
      return { page, errors };
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}
