// "Transfer here" and "Camp on" buttons on search hits and contact cards: hand the call I am
// holding (or my one call) to the person shown, without typing their number.
import { useShell } from "../context";
import { callAction, type CallAction, type CallView } from "../ipc";
import { transferCandidate } from "../lib/calls";

/** The call such a button would hand over, and a way to send it an action. */
export function useTransferCandidate(): { call: CallView | null; send: (action: CallAction) => void } {
  const { calls, run } = useShell();
  const call = transferCandidate(calls);
  return {
    call,
    send: (action) => {
      if (call) void run(() => callAction(call.id, action));
    },
  };
}

const callerOf = (call: CallView) => call.remoteName ?? call.remote;

interface Props {
  /** The number or SIP address to transfer to. */
  target: string;
  /** Who that is, for the title. */
  name: string;
  testId: string;
  label?: "hit.transfer" | "contacts.transfer";
}

/** "Transfer here": a blind transfer of the held (or only) call to `target`; hidden without one. */
export function TransferHereButton({ target, name, testId, label = "hit.transfer" }: Props) {
  const { t } = useShell();
  const { call, send } = useTransferCandidate();
  if (!call) return null;
  return (
    <button
      class="transfer-here"
      data-testid={testId}
      title={t("hit.transferTitle", { caller: callerOf(call), name })}
      onClick={(event) => {
        // A click on a search hit's row calls the person: this one only transfers.
        event.stopPropagation();
        send({ blindTransfer: { target } });
      }}
    >
      {t(label)}
    </button>
  );
}

/** "Camp on": the call waits in the busy colleague's personal queue on the switch. */
export function CampOnButton({ user, name, testId }: { user: string; name: string; testId: string }) {
  const { t } = useShell();
  const { call, send } = useTransferCandidate();
  if (!call) return null;
  return (
    <button
      class="camp-on"
      data-testid={testId}
      // A call card dropped here is camped on, not transferred (search-hit.tsx).
      data-drop-zone="camp-on"
      aria-label={t("hit.campOn", { name })}
      title={t("hit.campOnTitle", { caller: callerOf(call), name })}
      onClick={(event) => {
        event.stopPropagation();
        send({ campOn: { user } });
      }}
    >
      {/* The first name keeps the button short on a narrow window; the title has the whole name. */}
      {t("hit.campOn", { name: name.trim().split(/\s+/)[0] || name })}
    </button>
  );
}
