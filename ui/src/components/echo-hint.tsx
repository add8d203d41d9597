import { useShell } from "../context";

interface Props {
  /** The switch's echo-test number (its service list); the hint needs one to offer. */
  number: string;
}

/**
 * The first-run tip on the start page: call the switch's echo test to hear that microphone and
 * speaker work before a real caller does. Closing it is remembered in the settings, so it
 * shows until the user says they have seen it, not only on the very first start.
 */
export function EchoHint({ number }: Props) {
  const { t, settings, saveSettings, place, calls } = useShell();
  // A tip is for a quiet moment: during a call the 420 px window needs the room for the call.
  if (settings.echoHintDismissed || calls.some((call) => call.phase !== "ended")) return null;
  return (
    <aside class="first-run" data-testid="echo-hint" aria-label={t("start.echoCall", { number })}>
      <p>{t("start.echoHint", { number })}</p>
      <div class="actions">
        <button class="primary" data-testid="echo-hint-call" onClick={() => void place(number)}>
          {t("start.echoCall", { number })}
        </button>
        <button
          data-testid="echo-hint-dismiss"
          onClick={() => void saveSettings({ ...settings, echoHintDismissed: true })}
        >
          {t("start.echoDismiss")}
        </button>
      </div>
    </aside>
  );
}
