// The built-in switch the webview tests configure (vaxel.toml in the app's data folder) and its
// client API, shared so each test file only says who works there.
import assert from "node:assert/strict";

const passwordVar = (username) => `KOPPLA_WEBVIEW_PW_${username.toUpperCase()}`;

/** One `[[users]]` entry; the password comes from the environment (`passwordEnv`). `extra` is
 * more TOML for that user, e.g. `ring_timeout_secs = 3`. */
export function userToml({ username, name, title = "", short, extra = "" }) {
  return `
[[users]]
username = "${username}"
name = "${name}"
title = "${title}"
short_number = "${short}"
password_env = "${passwordVar(username)}"
${extra}`;
}

/** The app's environment that gives each user their password. */
export function passwordEnv(passwords) {
  return Object.fromEntries(Object.entries(passwords).map(([user, pw]) => [passwordVar(user), pw]));
}

/** `apiCall(method, path, token, body)` against the switch's client API on `port()`; a refusal
 * fails the test with the switch's answer. */
export function switchApi(port) {
  return async function apiCall(method, path, token, body) {
    const response = await fetch(`http://127.0.0.1:${port()}/api/v1${path}`, {
      method,
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await response.json().catch(() => null);
    assert.ok(response.ok, `${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
}
