import { useEffect, useState } from "preact/hooks";
import { useShell } from "../context";
import { callAction } from "../ipc";
import { dtmfKeypadOpened } from "../lib/dialpad";
import { KEYPAD_ROWS, keypadDigit } from "../lib/format";

interface Props {
  callId: number;
}

/** On-screen keypad; while open, digit keys on the keyboard send DTMF too (checklist 30). */
export function Keypad({ callId }: Props) {
  const { run } = useShell();
  const [sent, setSent] = useState("");

  const send = (digit: string) => {
    setSent((previous) => (previous + digit).slice(-24));
    void run(() => callAction(callId, { dtmf: { digits: digit } }));
  };

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT")) return;
      if (event.ctrlKey || event.altKey || event.metaKey) return;
      const digit = keypadDigit(event.key);
      if (!digit) return;
      event.preventDefault();
      send(digit);
    };
    window.addEventListener("keydown", onKey);
    // The start page's dialpad leaves the digit keys to this keypad while it is open.
    const closed = dtmfKeypadOpened();
    return () => {
      window.removeEventListener("keydown", onKey);
      closed();
    };
  }, [callId]);

  return (
    <div class="keypad" data-testid="keypad">
      <output class="sent" data-testid="dtmf-sent" aria-live="polite">
        {sent || "\u00a0"}
      </output>
      {KEYPAD_ROWS.map((row) => (
        <div class="keys" key={row.join("")}>
          {row.map((digit) => (
            <button key={digit} data-testid={`key-${digit}`} onClick={() => send(digit)}>
              {digit}
            </button>
          ))}
        </div>
      ))}
    </div>
  );
}
