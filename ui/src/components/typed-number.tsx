import { useShell } from "../context";
import { TransferHereButton } from "./transfer-here";

/** Text typed in the search box that is a number (or a SIP address) to dial as it is. */
export function looksDialable(text: string): boolean {
  const t = text.trim();
  if (/^(sips?|tel):\S+$/i.test(t)) return true;
  return /^\+?[\d\s\-().*#]+$/.test(t) && (t.match(/\d/g)?.length ?? 0) >= 2;
}

const digits = (text: string | null) => (text ?? "").replace(/\D/g, "");

/** Whether the typed number deserves its own row: no hit already carries it. */
export function showTypedNumber(text: string, hitNumbers: (string | null)[]): boolean {
  return looksDialable(text) && !hitNumbers.some((n) => n !== null && digits(n) === digits(text) && digits(text) !== "");
}

interface Props {
  number: string;
  onCall: () => void;
}

/** A row for a typed number no search hit carries: call it like Enter does, or transfer my call
 * there ("Transfer here" works for any number, not only for people in the directory). */
export function TypedNumber({ number, onCall }: Props) {
  const { t } = useShell();
  return (
    <div class="typed-number" data-testid="typed-number">
      <button class="call-typed" data-testid="typed-call" onClick={onCall}>
        {t("search.callTyped", { number })}
      </button>
      <TransferHereButton target={number} name={number} testId="typed-transfer" />
    </div>
  );
}
