import { describe, expect, it } from "vitest";
import type { MenuTarget } from "../ipc";
import { isHelpTarget, menuStep } from "./menu";

describe("menu bar targets", () => {
  it("File and Tools items open the tab they name, pressing the same buttons a user would", () => {
    expect(menuStep("account")).toEqual({ tab: "settings", reveal: '[data-testid="logout"]' });
    expect(menuStep("audio")).toEqual({ tab: "settings", reveal: '[data-testid="settings-audio"]' });
    expect(menuStep("createContact")).toEqual({ tab: "contacts", reveal: '[data-testid="contact-new"]', press: true });
    expect(menuStep("inbox")).toEqual({ tab: "voicemail" });
    expect(menuStep("activity")).toEqual({ tab: "start", reveal: '[data-testid="activity"]', press: true });
  });

  it("Help items are pages over any view, everything else is a tab", () => {
    const all: MenuTarget[] = ["account", "audio", "settings", "createContact", "inbox", "activity", "about", "help", "privacy", "diagnostics"];
    expect(all.filter(isHelpTarget)).toEqual(["about", "help", "privacy", "diagnostics"]);
  });
});
