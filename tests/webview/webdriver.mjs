// A minimal W3C WebDriver client over fetch, enough to drive the app through tauri-driver.
// (WebdriverIO would add ~100 packages for the handful of calls needed here.)

export class WebDriver {
  constructor(base) {
    this.base = base;
    this.session = null;
  }

  async call(method, path, body) {
    const started = Date.now();
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await response.json().catch(() => ({}));
    // KOPPLA_WEBDRIVER_TRACE=1 prints every command and how long it took (finding a hang).
    if (process.env.KOPPLA_WEBDRIVER_TRACE) {
      console.error(`webdriver ${method} ${path.replace(/^\/session\/[^/]+/, "")} ${Date.now() - started} ms`);
    }
    if (!response.ok) {
      throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json.value ?? json)}`);
    }
    return json.value;
  }

  async start(application) {
    const value = await this.call("POST", "/session", {
      capabilities: { alwaysMatch: { browserName: "wry", "tauri:options": { application } } },
    });
    this.session = value.sessionId;
  }

  async stop() {
    if (this.session) await this.call("DELETE", `/session/${this.session}`).catch(() => {});
  }

  s(path) {
    return `/session/${this.session}${path}`;
  }

  async find(css) {
    const value = await this.call("POST", this.s("/element"), { using: "css selector", value: css });
    return Object.values(value)[0];
  }

  async findAll(css) {
    const values = await this.call("POST", this.s("/elements"), { using: "css selector", value: css });
    return values.map((value) => Object.values(value)[0]);
  }

  /** Waits until `css` matches an element (and `predicate(text)` holds, when given). */
  async waitFor(css, { timeout = 20000, text } = {}) {
    const deadline = Date.now() + timeout;
    let last = "";
    while (Date.now() < deadline) {
      try {
        const id = await this.find(css);
        last = await this.text(id);
        if (!text || text(last)) return id;
      } catch {
        // not there yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`timed out waiting for ${css} (last text: ${JSON.stringify(last)})`);
  }

  async waitGone(css, timeout = 20000) {
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      try {
        if ((await this.findAll(css)).length === 0) return;
      } catch {
        // WebKitWebDriver reports "stale element" while the page re-renders: look again.
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`${css} did not go away`);
  }

  text(id) {
    return this.call("GET", this.s(`/element/${id}/text`));
  }

  click(id) {
    return this.call("POST", this.s(`/element/${id}/click`), {});
  }

  type(id, text) {
    return this.call("POST", this.s(`/element/${id}/value`), { text });
  }

  screenshot() {
    return this.call("GET", this.s("/screenshot"));
  }
}

export const ENTER = "\uE007";
