import { useShell } from "../context";
import { callAction, type SessionView } from "../ipc";
import { activeCall } from "../lib/calls";
import { HeadsetIcon, MicIcon } from "./icons";

interface Props {
  session: Extract<SessionView, { state: "online" }>;
}

/**
 * Bottom bar: device controls on the left (checklist 10-13), registration state on the right.
 * Mute acts on the current call; output device and volume have no backend command yet, so they
 * are visibly disabled rather than pretending to work.
 */
export function StatusBar({ session }: Props) {
  const { t, calls, run } = useShell();
  const current = activeCall(calls);
  const user = session.display_name ?? session.username;
  const muteLabel = !current ? t("devices.muteNoCall") : current.muted ? t("devices.unmute") : t("devices.mute");

  return (
    <footer class="statusbar">
      <div class="devices">
        <button
          class={current?.muted ? "icon on" : "icon"}
          data-testid="device-mute"
          aria-pressed={current?.muted ?? false}
          disabled={!current}
          title={muteLabel}
          aria-label={muteLabel}
          onClick={() => current && void run(() => callAction(current.id, current.muted ? "unmute" : "mute"))}
        >
          <MicIcon off={current?.muted ?? false} />
        </button>
        <button class="icon" disabled title={`${t("devices.output")} (${t("devices.comingSoon")})`} aria-label={t("devices.output")}>
          <HeadsetIcon />
        </button>
        <input
          class="volume"
          type="range"
          min={0}
          max={100}
          value={80}
          disabled
          title={`${t("devices.volume")} (${t("devices.comingSoon")})`}
          aria-label={t("devices.volume")}
        />
      </div>
      <div
        class={session.registered ? "reg ok" : "reg bad"}
        role="status"
        data-testid="registration"
        title={session.registration_error ?? undefined}
      >
        <span class="dot" aria-hidden="true" />
        {session.registered
          ? t("status.registered", { user })
          : session.registration_error
            ? t("status.error", { error: session.registration_error })
            : t("status.notRegistered")}
      </div>
    </footer>
  );
}
