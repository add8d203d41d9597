import { render } from "preact";
import { afterEach, describe, expect, it } from "vitest";
import type { ActivityChange, ActivityOptionView, ActivityView } from "../ipc";
import { ActivityBadge, ActivityPicker } from "./activity";
import { testShell, WithShell } from "./test-shell";

const root = document.createElement("div");
document.body.appendChild(root);
afterEach(() => render(null, root));

const options: ActivityOptionView[] = [
  { id: "available", label: "Available", labelSv: "Tillgänglig", color: "#2e7d32", reachable: true },
  { id: "lunch", label: "Lunch", labelSv: "Lunch", color: "#f9a825", reachable: false },
  { id: "meeting", label: "Meeting", labelSv: "Möte", color: "#c62828", reachable: false },
];
const available: ActivityView = { id: "available", label: "Available", color: "#2e7d32", reachable: true, until: null, note: null };

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));
const input = (testId: string) => root.querySelector(`[data-testid="${testId}"]`) as HTMLInputElement;
function type(testId: string, value: string) {
  const field = input(testId);
  field.value = value;
  field.dispatchEvent(new Event("input", { bubbles: true }));
}

describe("ActivityBadge", () => {
  it("shows the Swedish label, colour, end time and note", () => {
    const until = new Date();
    until.setHours(23, 59, 0, 0);
    const activity: ActivityView = { id: "meeting", label: "Meeting", color: "#c62828", reachable: false,
      until: until.toISOString(), note: "Styrelsemöte" };
    render(<WithShell shell={testShell()}><ActivityBadge activity={activity} options={options} onOpen={() => {}} /></WithShell>, root);
    expect(input("activity-label").textContent).toBe("Möte");
    expect(input("activity-until").textContent?.trim()).toBe("till 23:59");
    expect(input("activity-note").textContent).toBe("Styrelsemöte");
    expect((root.querySelector(".presence") as HTMLElement).style.background).toBe("rgb(198, 40, 40)");
  });

  it("leaves out a colour that is not a plain colour", () => {
    const hostile = { ...available, color: "url(https://evil.example/x.png)" };
    render(<WithShell shell={testShell()}><ActivityBadge activity={hostile} options={[]} onOpen={() => {}} /></WithShell>, root);
    expect((root.querySelector(".presence") as HTMLElement).style.background).toBe("");
    expect(input("activity-label").textContent).toBe("Available");
  });
});

describe("ActivityPicker", () => {
  it("saves the chosen activity with the next such time and a trimmed note", async () => {
    const saved: ActivityChange[] = [];
    render(
      <WithShell shell={testShell()}>
        <ActivityPicker current={available} options={options} onCancel={() => {}}
          onSave={async (change) => { saved.push(change); return true; }} />
      </WithShell>,
      root,
    );
    expect(input("activity-option-available").checked).toBe(true);
    input("activity-option-lunch").click();
    type("activity-until-time", "13:00");
    type("activity-note-input", "  Tillbaka 13  ");
    await flush();
    input("activity-save").click();
    await flush();
    expect(saved).toHaveLength(1);
    expect(saved[0].id).toBe("lunch");
    expect(saved[0].note).toBe("Tillbaka 13");
    const until = new Date(saved[0].until ?? "");
    expect([until.getHours(), until.getMinutes()]).toEqual([13, 0]);
    expect(until.getTime()).toBeGreaterThan(Date.now());
  });

  it("refuses an end time in the past without saving, and an empty one means no end", async () => {
    const saved: ActivityChange[] = [];
    render(
      <WithShell shell={testShell()}>
        <ActivityPicker current={{ ...available, note: "gammal" }} options={options} onCancel={() => {}}
          onSave={async (change) => { saved.push(change); return true; }} />
      </WithShell>,
      root,
    );
    type("activity-until-date", "2020-01-01");
    type("activity-until-time", "12:00");
    await flush();
    input("activity-save").click();
    await flush();
    expect(saved).toEqual([]);
    expect(input("activity-problem").textContent).toBe("Sluttiden har redan passerat.");
    type("activity-until-date", "");
    type("activity-until-time", "");
    type("activity-note-input", "   ");
    await flush();
    input("activity-save").click();
    await flush();
    expect(saved).toEqual([{ id: "available", until: null, note: null }]);
  });
});
