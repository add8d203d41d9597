import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AboutView, DiagnosticsSaved } from "../ipc";
import { HelpDialog } from "../components/help-dialog";
import { testShell, WithShell } from "../components/test-shell";
import { translator } from "../i18n";

const ABOUT: AboutView = {
  version: "1.2.3",
  license: "GPL-3.0-or-later",
  crates: [
    { name: "tauri", version: "2.1.0", license: "Apache-2.0 OR MIT" },
    { name: "zip", version: "2.6.1", license: "MIT" },
  ],
  npm: [{ name: "preact", version: "10.0.0", license: "MIT" }],
  dataDir: "/home/anna/.local/share/se.koppla.app",
  logDir: "/home/anna/.local/share/se.koppla.app/logs",
};

const ipc = vi.hoisted(() => ({ opened: [] as string[], saves: 0 }));
vi.mock("../ipc", async (original) => ({
  ...(await original<typeof import("../ipc")>()),
  aboutGet: async () => ABOUT,
  diagnosticsSave: async (): Promise<DiagnosticsSaved> => {
    ipc.saves += 1;
    return {
      path: "/home/anna/Hämtningar/koppla-diagnostik-20261207-230405.zip",
      mailto: "mailto:?subject=Koppla%20diagnostik",
      sipMessages: 12,
    };
  },
  openExternal: async (url: string) => void ipc.opened.push(url),
}));

const root = document.createElement("div");
document.body.appendChild(root);
const byId = (id: string) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const settle = () => act(async () => new Promise((resolve) => setTimeout(resolve, 0)));

afterEach(() => render(null, root));

describe("Help menu pages", () => {
  it("About shows the version and every component's licence", async () => {
    await act(() => render(<WithShell shell={testShell()}><HelpDialog topic="about" onClose={() => {}} /></WithShell>, root));
    await settle();
    expect(byId("about-version")?.textContent).toBe("Version 1.2.3");
    expect(byId("about-licence")?.textContent).toContain("GPL-3.0-or-later");
    expect(byId("about-crates")?.textContent).toContain("Rust-bibliotek (2)");
    expect(byId("about-crates")?.textContent).toContain("zip 2.6.1 — MIT");
    expect(byId("about-npm")?.textContent).toContain("preact 10.0.0 — MIT");
  });

  it("About speaks English when the app does", async () => {
    await act(() => render(<WithShell shell={testShell({ lang: "en", t: translator("en") })}><HelpDialog topic="about" onClose={() => {}} /></WithShell>, root));
    await settle();
    expect(root.querySelector("h2")?.textContent).toBe("About Koppla");
    expect(byId("about-crates")?.textContent).toContain("Rust libraries (2)");
  });

  it("Close and Escape close the page", async () => {
    const onClose = vi.fn();
    await act(() => render(<WithShell shell={testShell()}><HelpDialog topic="help" onClose={onClose} /></WithShell>, root));
    await settle();
    expect(byId("help-guide")?.textContent).toContain("tryck F8");
    byId("help-close")?.click();
    window.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape" }));
    expect(onClose).toHaveBeenCalledTimes(2);
  });

  it("Privacy names this computer's folders", async () => {
    await act(() => render(<WithShell shell={testShell()}><HelpDialog topic="privacy" onClose={() => {}} /></WithShell>, root));
    await settle();
    const text = byId("privacy")?.textContent ?? "";
    expect(text).toContain("nyckelring");
    expect(text).toContain("/home/anna/.local/share/se.koppla.app");
    expect(text).toContain("/logs");
  });

  it("Diagnostics says where the file is and offers the mail", async () => {
    await act(() => render(<WithShell shell={testShell()}><HelpDialog topic="diagnostics" onClose={() => {}} /></WithShell>, root));
    expect(byId("diagnostics-mail")).toBeNull();
    await act(async () => byId("diagnostics-create")?.click());
    await settle();
    expect(ipc.saves).toBe(1);
    expect(byId("diagnostics-saved")?.textContent).toContain("koppla-diagnostik-20261207-230405.zip");
    expect(byId("diagnostics-saved")?.textContent).toContain("12 SIP-meddelanden");
    byId("diagnostics-mail")?.click();
    await settle();
    expect(ipc.opened).toEqual(["mailto:?subject=Koppla%20diagnostik"]);
  });
});
