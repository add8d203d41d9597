// Where the menu bar's File and Tools items take the main window (src-tauri/src/menu.rs sends the
// target). Pure, so the mapping is tested without rendering the window.
import type { MenuTarget } from "../ipc";

export type MainTab = "start" | "history" | "voicemail" | "contacts" | "settings";

export interface MenuStep {
  tab: MainTab;
  /** An element to scroll to once the tab is shown. */
  reveal?: string;
  /** Press it too: the same button the user would (a new contact, the activity picker). */
  press?: boolean;
}

/** The step for a view target; null for the Help pages, which open over any view. */
export function menuStep(target: MenuTarget): MenuStep | null {
  switch (target) {
    case "account":
      return { tab: "settings", reveal: '[data-testid="logout"]' };
    case "audio":
      return { tab: "settings", reveal: '[data-testid="settings-audio"]' };
    case "settings":
      return { tab: "settings" };
    case "createContact":
      return { tab: "contacts", reveal: '[data-testid="contact-new"]', press: true };
    case "inbox":
      return { tab: "voicemail" };
    case "activity":
      return { tab: "start", reveal: '[data-testid="activity"]', press: true };
    case "about":
    case "help":
    case "privacy":
    case "diagnostics":
      return null;
  }
}

/** Help pages open over whatever is shown, logged in or not. */
export const isHelpTarget = (target: MenuTarget): target is "about" | "help" | "privacy" | "diagnostics" =>
  menuStep(target) === null;
