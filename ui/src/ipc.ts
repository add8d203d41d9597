// The one module that talks to the Rust side. Everything else imports from here, so the UI can
// run in a plain browser with mocked IPC for tests.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { DialOutcome } from "./bindings/DialOutcome";
import type { DialRequest } from "./bindings/DialRequest";
import type { HotkeyStatus } from "./bindings/HotkeyStatus";

export type { DialOutcome, DialRequest, HotkeyStatus };

export const DIAL_REQUEST_EVENT = "dial-request-ready";

export function takePendingDialRequests(): Promise<DialRequest[]> {
  return invoke<DialRequest[]>("take_pending_dial_requests");
}

export function parseDialInput(input: string): Promise<DialOutcome> {
  return invoke<DialOutcome>("parse_dial_input", { input });
}

export function hotkeyGet(): Promise<string> {
  return invoke<string>("hotkey_get");
}

export function hotkeySet(accelerator: string): Promise<HotkeyStatus> {
  return invoke<HotkeyStatus>("hotkey_set", { accelerator });
}

/** Calls `handler` with every dial request, including those that arrived before the UI started. */
export async function watchDialRequests(handler: (request: DialRequest) => void): Promise<UnlistenFn> {
  const drain = async () => {
    for (const request of await takePendingDialRequests()) handler(request);
  };
  const unlisten = await listen<number>(DIAL_REQUEST_EVENT, () => void drain());
  await drain();
  return unlisten;
}
