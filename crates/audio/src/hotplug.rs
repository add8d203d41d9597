//! Sans-IO device-list diffing for hot-plug and "follow system default".
//!
//! Sound servers give no portable change notification through cpal, so the device
//! module polls the lists and feeds each snapshot here; this module decides what changed
//! and whether an open stream must be reopened. Being pure, it is tested with fake lists.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Input,
    Output,
}

/// One poll of the system's devices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceSnapshot {
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    pub default_input: Option<String>,
    pub default_output: Option<String>,
}

impl DeviceSnapshot {
    fn names(&self, d: Direction) -> &[String] {
        match d {
            Direction::Input => &self.inputs,
            Direction::Output => &self.outputs,
        }
    }

    fn default_for(&self, d: Direction) -> Option<&String> {
        match d {
            Direction::Input => self.default_input.as_ref(),
            Direction::Output => self.default_output.as_ref(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceEvent {
    Added {
        direction: Direction,
        name: String,
    },
    Removed {
        direction: Direction,
        name: String,
    },
    DefaultChanged {
        direction: Direction,
        name: Option<String>,
    },
}

/// Which device the user picked for a role (microphone, speaker, ringtone).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DeviceChoice {
    /// Follow whatever the system default is, also when it changes.
    #[default]
    SystemDefault,
    Named(String),
}

/// User's device roles; the ringtone may play on a different output (e.g. loudspeaker
/// rings while the call goes to a headset).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceRoles {
    pub input: DeviceChoice,
    pub output: DeviceChoice,
    pub ringtone: DeviceChoice,
}

/// Remembers the previous snapshot and reports differences.
#[derive(Debug, Default)]
pub struct HotplugTracker {
    last: Option<DeviceSnapshot>,
}

impl HotplugTracker {
    /// The first snapshot is the baseline and yields no events.
    pub fn update(&mut self, snap: DeviceSnapshot) -> Vec<DeviceEvent> {
        let mut events = Vec::new();
        if let Some(prev) = &self.last {
            for d in [Direction::Input, Direction::Output] {
                for name in snap.names(d) {
                    if !prev.names(d).contains(name) {
                        events.push(DeviceEvent::Added {
                            direction: d,
                            name: name.clone(),
                        });
                    }
                }
                for name in prev.names(d) {
                    if !snap.names(d).contains(name) {
                        events.push(DeviceEvent::Removed {
                            direction: d,
                            name: name.clone(),
                        });
                    }
                }
                if prev.default_for(d) != snap.default_for(d) {
                    events.push(DeviceEvent::DefaultChanged {
                        direction: d,
                        name: snap.default_for(d).cloned(),
                    });
                }
            }
        }
        self.last = Some(snap);
        events
    }

    pub fn current(&self) -> Option<&DeviceSnapshot> {
        self.last.as_ref()
    }
}

/// Resolves a choice to a device name: a named device that is gone falls back to the
/// system default so a call keeps audio when a headset is unplugged.
pub fn resolve(
    choice: &DeviceChoice,
    direction: Direction,
    snap: &DeviceSnapshot,
) -> Option<String> {
    match choice {
        DeviceChoice::Named(n) if snap.names(direction).contains(n) => Some(n.clone()),
        _ => snap.default_for(direction).cloned(),
    }
}

/// Whether a stream opened for `choice` (currently on device `open_on`) must be reopened
/// after `snap`; returns the device to reopen on.
pub fn reopen_target(
    choice: &DeviceChoice,
    direction: Direction,
    open_on: Option<&str>,
    snap: &DeviceSnapshot,
) -> Option<String> {
    let want = resolve(choice, direction, snap)?;
    (open_on != Some(want.as_str())).then_some(want)
}

/// Whether streams opened for `choice` must be opened again after `events` (`snap` is the
/// state after them): the followed default changed, the chosen device came back or went, or
/// the default changed while the chosen device is missing (the stream runs on the default).
pub fn must_reopen(
    choice: &DeviceChoice,
    direction: Direction,
    events: &[DeviceEvent],
    snap: &DeviceSnapshot,
) -> bool {
    events.iter().any(|event| match (choice, event) {
        (choice, DeviceEvent::DefaultChanged { direction: d, .. }) if *d == direction => {
            match choice {
                DeviceChoice::SystemDefault => true,
                DeviceChoice::Named(n) => !snap.names(direction).contains(n),
            }
        }
        (
            DeviceChoice::Named(n),
            DeviceEvent::Added { direction: d, name } | DeviceEvent::Removed { direction: d, name },
        ) => *d == direction && name == n,
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(
        inputs: &[&str],
        outputs: &[&str],
        di: Option<&str>,
        dout: Option<&str>,
    ) -> DeviceSnapshot {
        DeviceSnapshot {
            inputs: inputs.iter().map(|s| s.to_string()).collect(),
            outputs: outputs.iter().map(|s| s.to_string()).collect(),
            default_input: di.map(str::to_string),
            default_output: dout.map(str::to_string),
        }
    }

    #[test]
    fn baseline_then_plug_and_unplug_headset() {
        let mut t = HotplugTracker::default();
        assert!(t
            .update(snap(&["mic"], &["spk"], Some("mic"), Some("spk")))
            .is_empty());
        let ev = t.update(snap(
            &["mic", "headset"],
            &["spk", "headset"],
            Some("headset"),
            Some("headset"),
        ));
        assert_eq!(
            ev,
            vec![
                DeviceEvent::Added {
                    direction: Direction::Input,
                    name: "headset".into()
                },
                DeviceEvent::DefaultChanged {
                    direction: Direction::Input,
                    name: Some("headset".into())
                },
                DeviceEvent::Added {
                    direction: Direction::Output,
                    name: "headset".into()
                },
                DeviceEvent::DefaultChanged {
                    direction: Direction::Output,
                    name: Some("headset".into())
                },
            ]
        );
        let ev = t.update(snap(&["mic"], &["spk"], Some("mic"), Some("spk")));
        assert!(ev.contains(&DeviceEvent::Removed {
            direction: Direction::Output,
            name: "headset".into()
        }));
        assert_eq!(ev.len(), 4);
        assert!(t
            .update(snap(&["mic"], &["spk"], Some("mic"), Some("spk")))
            .is_empty());
    }

    #[test]
    fn follow_default_and_named_fallback() {
        let s1 = snap(&["mic", "usb"], &["spk"], Some("mic"), Some("spk"));
        let s2 = snap(&["mic", "usb"], &["spk"], Some("usb"), Some("spk"));
        let s3 = snap(&["mic"], &["spk"], Some("mic"), Some("spk"));
        let follow = DeviceChoice::SystemDefault;
        let named = DeviceChoice::Named("usb".into());
        assert_eq!(
            reopen_target(&follow, Direction::Input, Some("mic"), &s1),
            None
        );
        assert_eq!(
            reopen_target(&follow, Direction::Input, Some("mic"), &s2),
            Some("usb".into())
        );
        assert_eq!(
            reopen_target(&named, Direction::Input, Some("usb"), &s1),
            None
        );
        // Named device unplugged: fall back to the default.
        assert_eq!(
            reopen_target(&named, Direction::Input, Some("usb"), &s3),
            Some("mic".into())
        );
        assert_eq!(resolve(&named, Direction::Output, &s1), Some("spk".into()));
        assert_eq!(
            resolve(&follow, Direction::Input, &DeviceSnapshot::default()),
            None
        );
    }

    #[test]
    fn what_moves_a_call_to_other_devices() {
        let mut t = HotplugTracker::default();
        t.update(snap(&["mic"], &["spk"], Some("mic"), Some("spk")));
        let follow = DeviceChoice::SystemDefault;
        let headset = DeviceChoice::Named("headset".into());
        let (input, output) = (Direction::Input, Direction::Output);

        // A headset is plugged in and becomes the default output.
        let s2 = snap(&["mic"], &["spk", "headset"], Some("mic"), Some("headset"));
        let ev = t.update(s2.clone());
        assert!(
            must_reopen(&follow, output, &ev, &s2),
            "following the default"
        );
        assert!(
            must_reopen(&headset, output, &ev, &s2),
            "the chosen one is back"
        );
        assert!(
            !must_reopen(&follow, input, &ev, &s2),
            "the microphone stays"
        );

        // Another output appears: nothing a call uses changed.
        let s3 = snap(
            &["mic"],
            &["spk", "headset", "hdmi"],
            Some("mic"),
            Some("headset"),
        );
        let ev = t.update(s3.clone());
        assert!(!must_reopen(&follow, output, &ev, &s3));
        assert!(!must_reopen(&headset, output, &ev, &s3));

        // The default moves to hdmi while the chosen headset is still there: it stays.
        let s4 = snap(
            &["mic"],
            &["spk", "headset", "hdmi"],
            Some("mic"),
            Some("hdmi"),
        );
        let ev = t.update(s4.clone());
        assert!(must_reopen(&follow, output, &ev, &s4));
        assert!(!must_reopen(&headset, output, &ev, &s4));

        // The headset is unplugged: the call falls back to the default.
        let s5 = snap(&["mic"], &["spk", "hdmi"], Some("mic"), Some("hdmi"));
        let ev = t.update(s5.clone());
        assert!(must_reopen(&headset, output, &ev, &s5));
        assert!(!must_reopen(&follow, output, &ev, &s5));

        // Without the headset the call runs on the default, so its changes matter.
        let s6 = snap(&["mic"], &["spk", "hdmi"], Some("mic"), Some("spk"));
        let ev = t.update(s6.clone());
        assert!(must_reopen(&headset, output, &ev, &s6));
    }
}
