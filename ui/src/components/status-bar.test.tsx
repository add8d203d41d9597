import { render } from "preact";
import { afterEach, describe, expect, it } from "vitest";
import { translator } from "../i18n";
import type { SessionView } from "../ipc";
import { RegistrationStatus } from "./status-bar";
import { testShell, WithShell } from "./test-shell";

const root = document.createElement("div");
document.body.appendChild(root);
afterEach(() => render(null, root));

type Online = Extract<SessionView, { state: "online" }>;
const ONLINE: Online = {
  state: "online", kind: "sip", username: "anna", display_name: "Anna Lindqvist", registered: true,
  registration_error: null, switch_features: false,
};

function show(session: Online, lang: "sv" | "en" = "sv") {
  render(
    <WithShell shell={testShell({ lang, t: translator(lang) })}>
      <RegistrationStatus session={session} />
    </WithShell>,
    root,
  );
  const status = root.querySelector('[data-testid="registration"]') as HTMLElement;
  return { text: status.textContent, ok: status.classList.contains("ok"), title: status.title };
}

describe("RegistrationStatus", () => {
  it("says registered with the user's name", () => {
    // The tooltip repeats the text, which a narrow window cuts with "…".
    expect(show(ONLINE)).toEqual({ text: "Registrerad som Anna Lindqvist", ok: true, title: "Registrerad som Anna Lindqvist" });
  });

  it("says a lost switch in the user's language and keeps the engine's words in the tooltip", () => {
    // What the app shows after the switch was killed (tests/webview/restart.test.mjs).
    const lost: Online = {
      ...ONLINE, registered: false, registration_error: "lost the connection to the registrar",
      registration_error_code: "network",
    };
    expect(show(lost)).toEqual({
      text: "Inte registrerad – servern går inte att nå, försöker igen …", ok: false,
      title: "Inte registrerad – servern går inte att nå, försöker igen … (lost the connection to the registrar)",
    });
    expect(show(lost, "en").text).toBe("Not registered – the server cannot be reached, trying again …");
  });

  it("says a refusal with its translated reason", () => {
    const refused: Online = {
      ...ONLINE, registered: false, registration_error: "wrong password (403)", registration_error_code: "wrong_password",
    };
    expect(show(refused).text).toBe("Registreringen misslyckades: fel användarnamn eller lösenord");
  });

  it("falls back to the engine's words for a failure without a known code", () => {
    const odd: Online = { ...ONLINE, registered: false, registration_error: "registrar granted no binding" };
    expect(show(odd).text).toBe("Registreringen misslyckades: registrar granted no binding");
  });

  it("says not registered when there is no reason", () => {
    expect(show({ ...ONLINE, registered: false })).toMatchObject({ text: "Inte registrerad", ok: false });
  });
});
