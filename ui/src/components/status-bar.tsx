import { useEffect, useState } from "preact/hooks";
import { useShell } from "../context";
import { translateErrorCode } from "../i18n";
import { callAction, type SessionView } from "../ipc";
import { activeCall } from "../lib/calls";
import { DeviceSelect, InputLevel, useAudioDevices } from "./devices";
import { HeadsetIcon, MicIcon } from "./icons";

interface Props {
  session: Extract<SessionView, { state: "online" }>;
}

/**
 * Bottom bar: device controls on the left (checklist 10-13), registration state on the right.
 * Mute acts on the current call, volume at once; the output device applies from the next call.
 */
export function StatusBar({ session }: Props) {
  const { t, calls, run, settings, saveSettings } = useShell();
  const current = activeCall(calls);
  const devices = useAudioDevices();
  // The slider moves freely while dragged; the setting is saved when it is let go.
  const [volume, setVolume] = useState(settings.volume);
  useEffect(() => setVolume(settings.volume), [settings.volume]);
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
        <label class="output" title={t("devices.outputHint")}>
          <HeadsetIcon />
          <DeviceSelect
            role="output"
            devices={devices}
            value={settings.audioOutput}
            label={t("devices.output")}
            testId="device-output"
            compact
            onChange={(audioOutput) => void saveSettings({ ...settings, audioOutput })}
          />
        </label>
        <input
          class="volume"
          type="range"
          data-testid="device-volume"
          min={0}
          max={100}
          step={5}
          value={volume}
          title={`${t("devices.volume")} ${volume} %`}
          aria-label={t("devices.volume")}
          onInput={(e) => setVolume(Number(e.currentTarget.value))}
          onChange={(e) => void saveSettings({ ...settings, volume: Number(e.currentTarget.value) })}
        />
        <InputLevel active={current !== null} />
      </div>
      <RegistrationStatus session={session} />
    </footer>
  );
}

/**
 * Whether calls can reach this phone. A failure is said in the user's language from its error
 * code; the engine's own words stay in the tooltip for whoever has to find out why.
 */
export function RegistrationStatus({ session }: Props) {
  const { t, lang } = useShell();
  const user = session.display_name ?? session.username;
  const error = session.registration_error;
  const code = session.registration_error_code ?? "";
  let text;
  if (session.registered) text = t("status.registered", { user });
  // A lost or dead switch (e.g. while it restarts) is not a refusal: the engine registers again
  // on its own, and "Inte registrerad" comes first because a narrow window cuts the end off.
  else if (code === "network") text = t("status.unreachable");
  else if (error) text = t("status.error", { error: translateErrorCode(lang, code, error) });
  else text = t("status.notRegistered");
  return (
    // A narrow window cuts the text; the tooltip has all of it and the engine's words. (An
    // ellipsis needs the text in its own overflow box, and WebKitWebDriver then reads it as
    // hidden, which every real-webview test's "registered" check depends on.)
    <div
      class={session.registered ? "reg ok" : "reg bad"}
      role="status"
      data-testid="registration"
      title={error ? `${text} (${error})` : text}
    >
      <span class="dot" aria-hidden="true" />
      {text}
    </div>
  );
}
