import { useEffect, useState } from "preact/hooks";
import { useShell } from "../context";
import { audioDevices, audioLevel, type AudioDevicesView } from "../ipc";
import { deviceChoices, meterFraction, type DeviceRole } from "../lib/audio";

/** The system's sound devices, listed once when the component appears. */
export function useAudioDevices(): AudioDevicesView | null {
  const { run } = useShell();
  const [devices, setDevices] = useState<AudioDevicesView | null>(null);
  useEffect(() => {
    void run(audioDevices).then((list) => list && setDevices(list));
  }, []);
  return devices;
}

interface SelectProps {
  role: DeviceRole;
  devices: AudioDevicesView | null;
  value: string | null;
  label: string;
  testId: string;
  /** Narrow places (the status bar) get a short "none" text. */
  compact?: boolean;
  onChange: (name: string | null) => void;
}

/** A device picker: "system default" first, then the devices; a saved, unplugged one is kept. */
export function DeviceSelect({ role, devices, value, label, testId, compact = false, onChange }: SelectProps) {
  const { t } = useShell();
  const { names, missing } = deviceChoices(devices, role, value);
  const none = devices !== null && names.length === 0;
  return (
    <select
      data-testid={testId}
      aria-label={label}
      title={none ? t("devices.none") : label}
      value={value ?? ""}
      disabled={none && !missing}
      onChange={(e) => onChange(e.currentTarget.value || null)}
    >
      <option value="">
        {none ? t(compact ? "devices.noneShort" : "devices.none") : t(compact ? "devices.defaultShort" : "devices.systemDefault")}
      </option>
      {names.map((name) => (
        <option key={name} value={name}>
          {name}
        </option>
      ))}
      {missing && <option value={missing}>{t("devices.unplugged", { name: missing })}</option>}
    </select>
  );
}

const POLL_MS = 150;

/** The microphone level during a call, polled from the engine. */
export function InputLevel({ active }: { active: boolean }) {
  const { t } = useShell();
  const [fraction, setFraction] = useState(0);
  useEffect(() => {
    if (!active) {
      setFraction(0);
      return;
    }
    let stopped = false;
    const timer = window.setInterval(() => {
      // A failed poll just leaves the meter where it was; it is not worth a notice.
      audioLevel()
        .then((dbfs) => !stopped && setFraction(meterFraction(dbfs)))
        .catch(() => undefined);
    }, POLL_MS);
    return () => {
      stopped = true;
      window.clearInterval(timer);
    };
  }, [active]);
  return (
    <meter
      class="level"
      data-testid="input-level"
      min={0}
      max={1}
      value={fraction}
      title={t("devices.level")}
      aria-label={t("devices.level")}
    />
  );
}
