import { useState } from "preact/hooks";
import { useShell } from "../context";

/** Notes closed in this run of the app: the start page is redrawn on every tab change. */
const closed = new Set<string>();

interface Props {
  /** Who logged in; a later login that also cannot keep its password says so again. */
  username: string;
  /** The keychain's own words, for the tooltip (support reads it; the text says what it means). */
  reason: string;
}

/**
 * "Stay logged in" without a usable OS keychain: the login stands, but the next start will ask
 * for the password. Said on the start page rather than as an error notice, because nothing
 * failed that needs doing now; it stays until closed, out of the way while a call is on.
 */
export function PasswordNote({ username, reason }: Props) {
  const { t, calls } = useShell();
  const key = `${username}\n${reason}`;
  const [open, setOpen] = useState(!closed.has(key));
  // Like the echo-test tip: during a call the 420 px window needs the room for the call.
  if (!open || calls.some((call) => call.phase !== "ended")) return null;
  return (
    <aside class="first-run" data-testid="password-not-saved" title={reason}>
      <p>{t("start.passwordNotSaved")}</p>
      <div class="actions">
        <button
          data-testid="password-not-saved-close"
          onClick={() => {
            closed.add(key);
            setOpen(false);
          }}
        >
          {t("error.dismiss")}
        </button>
      </div>
    </aside>
  );
}
