import { render } from "preact";
import { act } from "preact/test-utils";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { AppSettings, CallView, LoginRequest, SessionView } from "../ipc";
import { EchoHint } from "../components/echo-hint";
import { PasswordNote } from "../components/password-note";
import { testShell, TEST_SETTINGS, WithShell } from "../components/test-shell";
import { LoginView } from "./login";
import { fieldsMissing, keepsPassword, messageAfterRefusal, shownMessage } from "./login-form";

// The login commands: each login waits for the test to answer it through `ipc.answer`.
const ipc = vi.hoisted(() => ({
  requests: [] as LoginRequest[],
  cancels: 0,
  answer: null as null | ((outcome: { code: string; message: string } | null) => void),
}));
vi.mock("../ipc", async (original) => ({
  ...(await original<typeof import("../ipc")>()),
  login: (request: LoginRequest) => {
    ipc.requests.push(request);
    return new Promise((resolve, reject) => {
      ipc.answer = (refusal) => (refusal ? reject(refusal) : resolve({ state: "connecting", username: request.username }));
    });
  },
  loginCancel: async () => {
    ipc.cancels += 1;
    return null;
  },
  sessionGet: async () => LOGGED_OUT,
}));

type Offline = Exclude<SessionView, { state: "online" }>;
const CALL: CallView = { id: 1, direction: "outgoing", remote: "9999", remoteName: "Ljudtest", phase: "established",
  endReason: null, startedAt: 0, answeredAt: 0, muted: false, recording: false };
const LOGGED_OUT: Offline = { state: "loggedOut", error: null, last_username: null, last_kind: null };

const root = document.createElement("div");
document.body.appendChild(root);
const q = <T extends Element = HTMLElement>(id: string) => root.querySelector<T>(`[data-testid="${id}"]`);
const settle = () => act(async () => new Promise((resolve) => setTimeout(resolve, 0)));

function show(session: Offline) {
  return act(() =>
    render(
      <WithShell shell={testShell()}>
        <LoginView session={session} />
      </WithShell>,
      root,
    ),
  );
}

async function type(id: string, value: string) {
  const input = q<HTMLInputElement>(id)!;
  input.value = value;
  await act(() => {
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

async function submit() {
  await act(() => q<HTMLButtonElement>("login-submit")!.click());
  await settle();
}

const messages = () => [...root.querySelectorAll('[data-testid="login-error"]')].map((el) => el.textContent);

beforeEach(async () => {
  ipc.requests = [];
  ipc.cancels = 0;
  ipc.answer = null;
  await act(() => render(null, root));
});

describe("login form decisions", () => {
  it("needs a user name and a password, and a server except for the built-in switch", () => {
    const filled = { kind: "builtin" as const, server: "", username: "Anna Öberg", password: "x" };
    expect(fieldsMissing(filled)).toBe(false);
    expect(fieldsMissing({ ...filled, username: "  " })).toBe(true);
    expect(fieldsMissing({ ...filled, password: "" })).toBe(true);
    expect(fieldsMissing({ ...filled, kind: "sip" })).toBe(true);
    expect(fieldsMissing({ ...filled, kind: "vaxel", server: "vaxel.example.se" })).toBe(false);
  });

  it("shows the session's error until the form is sent, then only the newest of its own", () => {
    expect(shownMessage(null, false, "the server did not answer")).toEqual({ kind: "failed", error: "the server did not answer" });
    expect(shownMessage({ kind: "missing" }, false, "the server did not answer")).toEqual({ kind: "missing" });
    expect(shownMessage(null, true, "the server did not answer")).toBeNull();
  });

  it("says nothing after Cancel and keeps the password; a refusal is translated and clears it", () => {
    expect(messageAfterRefusal("sv", "cancelled", "the login was cancelled")).toBeNull();
    expect(keepsPassword("cancelled")).toBe(true);
    expect(messageAfterRefusal("sv", "wrong_password", "401")).toEqual({ kind: "failed", error: "fel användarnamn eller lösenord" });
    expect(messageAfterRefusal("en", "builtin_other_user", "anna.oberg")).toEqual({
      kind: "failed",
      error: "the built-in switch already has the account anna.oberg – log in with that",
    });
    expect(keepsPassword("wrong_password")).toBe(false);
  });
});

describe("the login view", () => {
  it("explains the built-in switch and the user-name rules in Swedish", async () => {
    await show(LOGGED_OUT);
    const about = q("login-builtin-about")!.textContent!;
    expect(about).toContain("Första inloggningen skapar ditt konto");
    expect(about).toContain("vaxel.toml");
    const rules = q("login-username-rules")!;
    expect(rules.textContent).toContain("”Anna Öberg” blir anna.oberg");
    expect(q("login-username")!.getAttribute("aria-describedby")).toBe("username-rules");
    // A server elsewhere is not this computer's switch: no explanation of it.
    await act(() => q<HTMLInputElement>("login-remote")!.click());
    expect(q("login-builtin-about")).toBeNull();
    // A plain SIP server has rules of its own.
    await act(() => q<HTMLButtonElement>("login-tab-sip")!.click());
    expect(q("login-username-rules")).toBeNull();
  });

  it("shows one message at a time, the newest", async () => {
    await show({ ...LOGGED_OUT, error: "the server did not answer" });
    expect(messages()).toEqual(["Inloggningen misslyckades: the server did not answer"]);
    await submit();
    expect(messages()).toEqual(["Fyll i alla fält."]);
    await type("login-username", "Receptionen");
    await type("login-password", "fel");
    await submit();
    expect(ipc.requests.map((r) => [r.kind, r.username])).toEqual([["builtin", "Receptionen"]]);
    expect(messages()).toEqual([]);
    await act(() => ipc.answer!({ code: "wrong_password", message: "401 Unauthorized" }));
    await settle();
    expect(messages()).toEqual(["Inloggningen misslyckades: fel användarnamn eller lösenord"]);
    expect(q<HTMLInputElement>("login-password")!.value).toBe("");
    await submit();
    expect(messages()).toEqual(["Fyll i alla fält."]);
  });

  it("says why the automatic login at start failed in the user's language", async () => {
    await show({ ...LOGGED_OUT, error: "the server did not answer", error_code: "registration_failed" });
    expect(messages()).toEqual(["Inloggningen misslyckades: registreringen hos servern misslyckades"]);
  });

  it("offers Cancel while connecting and comes back with the fields as typed", async () => {
    await show(LOGGED_OUT);
    await act(() => q<HTMLButtonElement>("login-tab-sip")!.click());
    await type("login-server", "dead.example.com");
    await type("login-username", "anna");
    await type("login-password", "hemligt");
    await submit();
    await show({ state: "connecting", username: "anna" });
    expect(q("connecting")!.textContent).toContain("Ansluter som anna");
    const cancel = q<HTMLButtonElement>("login-cancel")!;
    expect(cancel.textContent).toBe("Avbryt");
    await act(() => cancel.click());
    expect(ipc.cancels).toBe(1);
    expect(q<HTMLButtonElement>("login-cancel")!.disabled).toBe(true);
    await act(() => ipc.answer!({ code: "cancelled", message: "the login was cancelled" }));
    await show(LOGGED_OUT);
    await settle();
    expect(q<HTMLInputElement>("login-server")!.value).toBe("dead.example.com");
    expect(q<HTMLInputElement>("login-username")!.value).toBe("anna");
    expect(q<HTMLInputElement>("login-password")!.value).toBe("hemligt");
    expect(messages()).toEqual([]);
  });
});

describe("the first-run hint", () => {
  async function hint(settings: AppSettings) {
    const saved: AppSettings[] = [];
    const shell = testShell({ settings, saveSettings: async (next) => void saved.push(next) });
    await act(() =>
      render(
        <WithShell shell={shell}>
          <EchoHint number="9999" />
        </WithShell>,
        root,
      ),
    );
    return { shell, saved };
  }

  it("offers the echo test with a call button and remembers when it is closed", async () => {
    const { shell, saved } = await hint(TEST_SETTINGS);
    expect(q("echo-hint")!.textContent).toContain("Ring 9999 för att testa ljudet");
    await act(() => q<HTMLButtonElement>("echo-hint-call")!.click());
    expect(shell.placed).toEqual(["9999"]);
    await act(() => q<HTMLButtonElement>("echo-hint-dismiss")!.click());
    expect(saved.map((s) => s.echoHintDismissed)).toEqual([true]);
  });

  it("stays away once closed", async () => {
    await hint({ ...TEST_SETTINGS, echoHintDismissed: true });
    expect(q("echo-hint")).toBeNull();
  });

  it("makes room during a call and comes back after it", async () => {
    const shell = testShell({ calls: [CALL] });
    const draw = (s: typeof shell) =>
      act(() =>
        render(
          <WithShell shell={s}>
            <EchoHint number="9999" />
          </WithShell>,
          root,
        ),
      );
    await draw(shell);
    expect(q("echo-hint")).toBeNull();
    await draw(testShell({ calls: [{ ...CALL, phase: "ended" }] }));
    expect(q("echo-hint")).not.toBeNull();
  });
});

describe("stay logged in without a keychain", () => {
  const draw = () =>
    act(() =>
      render(
        <WithShell shell={testShell()}>
          <PasswordNote username="anna.oberg" reason="no Secret Service on the session bus" />
        </WithShell>,
        root,
      ),
    );

  it("says plainly that the next start asks for the password, until closed", async () => {
    await draw();
    const note = q("password-not-saved")!;
    expect(note).not.toBeNull();
    expect(note.textContent).toContain("Lösenordet kunde inte sparas i datorns nyckelring");
    expect(note.textContent).toContain("Du är inloggad nu.");
    expect(note.getAttribute("title")).toBe("no Secret Service on the session bus");
    // Out of the way while a call is on.
    await act(() =>
      render(
        <WithShell shell={testShell({ calls: [CALL] })}>
          <PasswordNote username="anna.oberg" reason="no Secret Service on the session bus" />
        </WithShell>,
        root,
      ),
    );
    expect(q("password-not-saved")).toBeNull();
    await draw();
    await act(() => q<HTMLButtonElement>("password-not-saved-close")!.click());
    expect(q("password-not-saved")).toBeNull();
    // The start page is drawn again on every tab change: closed stays closed.
    await act(() => render(null, root));
    await draw();
    expect(q("password-not-saved")).toBeNull();
  });
});
