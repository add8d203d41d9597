import { render } from "preact";
import { afterEach, describe, expect, it } from "vitest";
import type { AudioDevicesView } from "../ipc";
import { DeviceSelect } from "./devices";
import { testShell, WithShell } from "./test-shell";

const root = document.createElement("div");
document.body.appendChild(root);
afterEach(() => render(null, root));

const devices: AudioDevicesView = {
  inputs: ["Inbyggd mikrofon"], outputs: ["Högtalare", "USB-headset"],
  defaultInput: "Inbyggd mikrofon", defaultOutput: "Högtalare", error: null,
};
const none: AudioDevicesView = { inputs: [], outputs: [], defaultInput: null, defaultOutput: null, error: "no host" };

const select = () => root.querySelector("select") as HTMLSelectElement;
const options = () => [...select().options].map((o) => [o.value, o.textContent]);

describe("DeviceSelect", () => {
  it("offers the system default first, then the devices, and reports the choice", () => {
    const chosen: (string | null)[] = [];
    render(
      <WithShell shell={testShell()}>
        <DeviceSelect role="output" devices={devices} value={null} label="Ljud ut" testId="out" onChange={(n) => chosen.push(n)} />
      </WithShell>,
      root,
    );
    expect(options()).toEqual([["", "Systemets standard"], ["Högtalare", "Högtalare"], ["USB-headset", "USB-headset"]]);
    select().value = "USB-headset";
    select().dispatchEvent(new Event("change", { bubbles: true }));
    select().value = "";
    select().dispatchEvent(new Event("change", { bubbles: true }));
    expect(chosen).toEqual(["USB-headset", null]);
  });

  it("keeps a saved device that is unplugged selectable", () => {
    render(
      <WithShell shell={testShell()}>
        <DeviceSelect role="input" devices={devices} value="USB-headset" label="Mikrofon" testId="in" onChange={() => {}} />
      </WithShell>,
      root,
    );
    expect(select().value).toBe("USB-headset");
    expect(options()[options().length - 1]).toEqual(["USB-headset", "USB-headset (inte ansluten)"]);
  });

  it("says plainly when there are no devices and cannot be changed", () => {
    render(
      <WithShell shell={testShell()}>
        <DeviceSelect role="input" devices={none} value={null} label="Mikrofon" testId="in" onChange={() => {}} />
      </WithShell>,
      root,
    );
    expect(select().disabled).toBe(true);
    expect(options()).toEqual([["", "Inga ljudenheter hittades"]]);
  });
});
