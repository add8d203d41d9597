import { useState } from "preact/hooks";
import { useShell } from "../context";
import { translateErrorCode } from "../i18n";
import { asUiError, login, loginCancel, sessionGet, type SessionView } from "../ipc";
import type { AccountKind } from "../bindings/AccountKind";
import { fieldsMissing, keepsPassword, messageAfterRefusal, shownMessage, type LoginMessage } from "./login-form";

type Tab = "vaxel" | "sip";
type Method = "password" | "sms";

interface Props {
  session: Exclude<SessionView, { state: "online" }>;
}

/**
 * Login to Koppla Växel (built-in or at an address) or to any SIP server. The SMS-code method is
 * shown but says plainly that it is not available: there is no backend command for it yet.
 * A first-time user reads here what the built-in switch is and which user names work; while
 * connecting, Cancel stops the attempt and brings the form back as it was filled in.
 */
export function LoginView({ session }: Props) {
  const { t, lang, settings, setSession } = useShell();
  const last = session.state === "loggedOut" ? session : null;
  const [tab, setTab] = useState<Tab>(last?.last_kind === "sip" ? "sip" : "vaxel");
  const [method, setMethod] = useState<Method>("password");
  const [remote, setRemote] = useState(last?.last_kind === "vaxel");
  const [server, setServer] = useState("");
  const [username, setUsername] = useState(last?.last_username ?? "");
  const [password, setPassword] = useState("");
  const [transport, setTransport] = useState("udp");
  const [stay, setStay] = useState(settings.stayLoggedIn);
  const [mobile, setMobile] = useState("");
  const [smsAsked, setSmsAsked] = useState(false);
  const [own, setOwn] = useState<LoginMessage>(null);
  const [sent, setSent] = useState(false);
  const [cancelling, setCancelling] = useState(false);

  if (session.state === "connecting") {
    return (
      <main class="login" aria-busy="true">
        <p class="connecting" role="status" data-testid="connecting">
          {t("login.connecting", { user: session.username })}
        </p>
        <div class="actions center">
          <button
            data-testid="login-cancel"
            disabled={cancelling}
            onClick={() => {
              setCancelling(true);
              // The backend answers the login under way with "cancelled" and reports the form.
              void loginCancel().catch(() => setCancelling(false));
            }}
          >
            {t("login.cancel")}
          </button>
        </div>
      </main>
    );
  }

  const kind: AccountKind = tab === "sip" ? "sip" : remote ? "vaxel" : "builtin";
  const needsServer = kind !== "builtin";
  // The session's reason in the user's language when its code has words (else as the backend said it).
  const sessionError = last?.error ? translateErrorCode(lang, last.error_code ?? "", last.error) : null;
  const message = shownMessage(own, sent, sessionError);

  const submit = (event: Event) => {
    event.preventDefault();
    if (fieldsMissing({ kind, server, username, password })) {
      setOwn({ kind: "missing" });
      return;
    }
    setOwn(null);
    setSent(true);
    setCancelling(false);
    const request = {
      kind,
      server: needsServer ? server.trim() : null,
      username: username.trim(),
      password,
      transport: tab === "sip" ? transport : null,
      stayLoggedIn: stay,
    };
    login(request)
      .then((next) => {
        // "connecting" is followed by a session event; applying it here could overwrite a newer one.
        if (next.state !== "connecting") setSession(next);
      })
      .catch(async (error) => {
        const { code, message: detail } = asUiError(error);
        setOwn(messageAfterRefusal(lang, code, detail));
        if (!keepsPassword(code)) setPassword("");
        // The form must come back even if no loggedOut event follows the failure.
        setSession(await sessionGet().catch(() => ({ state: "loggedOut" as const, error: null, last_username: request.username, last_kind: kind })));
      });
  };

  return (
    <main class="login">
      <h1>{t("login.heading")}</h1>
      <div class="segmented" role="tablist">
        {(["vaxel", "sip"] as const).map((id) => (
          <button
            key={id}
            role="tab"
            aria-selected={tab === id}
            class={tab === id ? "active" : ""}
            data-testid={`login-tab-${id}`}
            onClick={() => setTab(id)}
          >
            {t(id === "vaxel" ? "login.tabVaxel" : "login.tabSip")}
          </button>
        ))}
      </div>

      {tab === "vaxel" && (
        <div class="choices">
          <fieldset>
            <legend>{t("login.where")}</legend>
            <label class="check">
              <input type="radio" name="where" checked={!remote} onChange={() => setRemote(false)} />
              {t("login.builtin")}
            </label>
            {!remote && (
              <div class="about" data-testid="login-builtin-about">
                <p>{t("login.builtinAbout")}</p>
                <p>{t("login.builtinColleagues")}</p>
              </div>
            )}
            <label class="check">
              <input type="radio" name="where" checked={remote} data-testid="login-remote" onChange={() => setRemote(true)} />
              {t("login.remote")}
            </label>
          </fieldset>
          <fieldset>
            <legend>{t("login.how")}</legend>
            <label class="check">
              <input type="radio" name="how" checked={method === "password"} onChange={() => setMethod("password")} />
              {t("login.methodPassword")}
            </label>
            <label class="check">
              <input type="radio" name="how" checked={method === "sms"} data-testid="login-sms" onChange={() => setMethod("sms")} />
              {t("login.methodSms")}
            </label>
          </fieldset>
        </div>
      )}

      {tab === "vaxel" && method === "sms" ? (
        <form
          class="form"
          onSubmit={(event) => {
            event.preventDefault();
            setSmsAsked(true);
          }}
        >
          <label>
            {t("login.mobile")}
            <input
              type="tel"
              value={mobile}
              placeholder={t("login.mobilePlaceholder")}
              onInput={(e) => setMobile(e.currentTarget.value)}
            />
          </label>
          <button type="submit" class="primary">
            {t("login.getCode")}
          </button>
          {smsAsked && (
            <p class="warning" role="status" data-testid="sms-unavailable">
              {t("login.smsUnavailable")}
            </p>
          )}
        </form>
      ) : (
        <form class="form" onSubmit={submit}>
          {needsServer && (
            <label>
              {t("login.server")}
              <input
                data-testid="login-server"
                value={server}
                placeholder={t("login.serverPlaceholder")}
                autoComplete="url"
                onInput={(e) => setServer(e.currentTarget.value)}
              />
            </label>
          )}
          <label>
            {t("login.username")}
            <input
              data-testid="login-username"
              value={username}
              autoComplete="username"
              aria-describedby={tab === "vaxel" ? "username-rules" : undefined}
              onInput={(e) => setUsername(e.currentTarget.value)}
            />
            {/* Koppla Växel's own rules (model::normalise_username); other SIP servers have theirs. */}
            {tab === "vaxel" && (
              <small class="hint" id="username-rules" data-testid="login-username-rules">
                {t("login.usernameRules")}
              </small>
            )}
          </label>
          <label>
            {t("login.password")}
            <input
              data-testid="login-password"
              type="password"
              value={password}
              autoComplete="current-password"
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </label>
          {tab === "sip" && (
            <label>
              {t("login.transport")}
              <select value={transport} onChange={(e) => setTransport(e.currentTarget.value)}>
                <option value="udp">UDP</option>
                <option value="tcp">TCP</option>
                <option value="tls">TLS</option>
              </select>
            </label>
          )}
          <label class="check">
            <input type="checkbox" checked={stay} onChange={(e) => setStay(e.currentTarget.checked)} /> {t("login.stay")}
          </label>
          {message && (
            <p class="error" role="alert" data-testid="login-error">
              {message.kind === "missing" ? t("login.missingFields") : t("login.failed", { error: message.error })}
            </p>
          )}
          <button type="submit" class="primary" data-testid="login-submit">
            {t("login.submit")}
          </button>
        </form>
      )}
    </main>
  );
}
