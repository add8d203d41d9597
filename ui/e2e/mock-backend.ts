// A stand-in for the Rust side so the UI can be driven in a plain browser. It answers the same
// commands with the same shapes (the generated bindings), keeping state like the real app would.
import { emit } from "@tauri-apps/api/event";
import { mockIPC } from "@tauri-apps/api/mocks";
import type { DialOutcome } from "../src/bindings/DialOutcome";
import type { DialRequest } from "../src/bindings/DialRequest";

const pending: DialRequest[] = [];
let hotkey = "F8";
let nextId = 1;

function outcome(input: string): DialOutcome {
  const digits = input.replace(/[^\d+]/g, "");
  if (digits.length < 3 || /javascript:/i.test(input)) {
    return { kind: "refused", code: "not_a_number", message: "not a phone number" };
  }
  return {
    kind: "dialable",
    candidate: { display: input.trim(), dialString: digits, e164: null, extension: null, isSipAddress: false },
  };
}

mockIPC(
  (cmd, args) => {
    const payload = (args ?? {}) as Record<string, unknown>;
    switch (cmd) {
      case "take_pending_dial_requests":
        return pending.splice(0, pending.length);
      case "parse_dial_input":
        return outcome(String(payload.input ?? ""));
      case "hotkey_get":
        return hotkey;
      case "hotkey_set": {
        const accelerator = String(payload.accelerator ?? "");
        const registered = /^(F\d{1,2}|(Ctrl|Alt|Shift)\+\w+)$/.test(accelerator);
        if (registered) hotkey = accelerator;
        return { accelerator, registered, error: registered ? null : "not a valid key combination" };
      }
      default:
        throw new Error(`mock backend: unknown command ${cmd}`);
    }
  },
  { shouldMockEvents: true },
);

/** Lets the test simulate a link or hotkey arriving from the OS. */
(window as unknown as { koppla: unknown }).koppla = {
  async dialRequest(origin: "link" | "hotkey", raw: string) {
    const request: DialRequest = { id: nextId++, origin, raw, outcome: outcome(raw), autoDial: origin === "hotkey" };
    pending.push(request);
    await emit("dial-request-ready", request.id);
  },
};
