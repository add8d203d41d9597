import { useEffect, useRef, useState } from "preact/hooks";
import { useShell } from "../context";
import { dialpadKey } from "../lib/dialpad";
import { KEYPAD_ROWS } from "../lib/format";
import { EraseIcon, KeypadIcon, PhoneIcon } from "./icons";

interface Props {
  /** The start page's number field (the search box): the dialpad types into it. */
  number: string;
  onChange: (number: string) => void;
  onDial: () => void;
}

/**
 * The start page's permanent dialpad. At 420 px it folds away behind a button so search hits keep
 * the room; from 900 px it always shows beside the search (styles.css). Keys typed anywhere on the
 * start page reach the number field through it (lib/dialpad.ts says which).
 */
export function Dialpad({ number, onChange, onDial }: Props) {
  const { t } = useShell();
  const [open, setOpen] = useState(false);
  // Read when a key is pressed: the listener is added once, the number changes on every key.
  const current = useRef({ number, onChange, onDial });
  current.current = { number, onChange, onDial };

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const { number, onChange, onDial } = current.current;
      const action = dialpadKey(event, number);
      if (!action) return;
      event.preventDefault();
      if (action.kind === "digit") onChange(number + action.digit);
      else if (action.kind === "erase") onChange(number.slice(0, -1));
      else onDial();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  return (
    <section class={open ? "dialpad open" : "dialpad"} aria-label={t("dialpad.label")} data-testid="dialpad">
      <button
        class="dialpad-toggle with-icon"
        aria-expanded={open}
        aria-controls="dialpad-keys"
        data-testid="dialpad-toggle"
        title={t("dialpad.toggleHint")}
        onClick={() => setOpen((shown) => !shown)}
      >
        <KeypadIcon />
        {t(open ? "dialpad.hide" : "dialpad.show")}
      </button>
      <div class="dialpad-keys" id="dialpad-keys">
        {KEYPAD_ROWS.map((row) => (
          <div class="keys" key={row.join("")}>
            {row.map((digit) => (
              <button key={digit} data-testid={`dialpad-${digit}`} onClick={() => onChange(number + digit)}>
                {digit}
              </button>
            ))}
          </div>
        ))}
        <div class="keys">
          <button
            class="primary with-icon dialpad-call"
            data-testid="dialpad-call"
            disabled={number.trim() === ""}
            title={t("dialpad.callHint")}
            onClick={onDial}
          >
            <PhoneIcon />
            {t("dialpad.call")}
          </button>
          <button
            class="with-icon"
            data-testid="dialpad-erase"
            disabled={number === ""}
            title={t("dialpad.eraseHint")}
            aria-label={t("dialpad.erase")}
            onClick={() => onChange(number.slice(0, -1))}
          >
            <EraseIcon />
          </button>
        </div>
      </div>
    </section>
  );
}
