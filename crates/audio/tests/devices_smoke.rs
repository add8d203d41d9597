//! Needs a sound server, so ignored by default. Run with a PulseAudio null sink:
//! `pulseaudio --daemonize=no --exit-idle-time=-1 -n -L module-null-sink -L module-native-protocol-unix &`
//! then `cargo test -p koppla-audio --test devices_smoke -- --ignored`.
#![cfg(feature = "devices")]

use std::time::Duration;

use koppla_audio::devices::{list_devices, open_input, open_output, snapshot};
use koppla_audio::hotplug::{DeviceChoice, Direction};
use koppla_audio::{AudioSink, AudioSource, FRAME_SAMPLES};

#[test]
#[ignore = "needs a sound server (PulseAudio/PipeWire/ALSA device)"]
fn list_open_play_and_capture() {
    let devs = list_devices().expect("device list");
    assert!(
        devs.iter().any(|d| d.direction == Direction::Output),
        "{devs:?}"
    );
    let snap = snapshot().unwrap();
    assert!(snap.default_output.is_some());
    let mut out = open_output(&DeviceChoice::SystemDefault).expect("open default output");
    let mut inp = open_input(&DeviceChoice::SystemDefault).expect("open default input");
    let tone: Vec<i16> = (0..FRAME_SAMPLES)
        .map(|i| ((i as f32 * 0.1).sin() * 3000.0) as i16)
        .collect();
    let mut frame = vec![0i16; FRAME_SAMPLES];
    for _ in 0..25 {
        out.write_frame(&tone).unwrap();
        assert!(inp.read_frame(&mut frame).unwrap());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(matches!(
        open_output(&DeviceChoice::Named("no such device".into())),
        Err(koppla_audio::AudioError::DeviceNotFound(_))
    ));
}
