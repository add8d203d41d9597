//! Sound devices for calls: the devices chosen in Settings → Audio, the call volume, and the
//! microphone level for the meter. All calls share one microphone and one speaker through the
//! audio bridge, which also joins them in a conference. Without devices (a headless machine)
//! calls still connect, sending silence and dropping what they receive.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use koppla_audio::bridge::DeviceProcessing;
use koppla_audio::hotplug::DeviceChoice;
use koppla_audio::level::{LevelMeter, SILENCE_DBFS};
use koppla_audio::volume::{GainControl, VolumeSink};
use koppla_audio::{AudioError, AudioSink, AudioSource, CallBridge};
#[cfg(target_os = "linux")]
use koppla_media::processing::VoiceProcessor;
use koppla_media::processing::{ProcessingSettings, StageSwitch};
use koppla_ua::runtime::AudioFactory;
use koppla_ua::CallId;
use tauri::State;

use crate::ipc_types::{AppSettings, AudioDevicesView};
use crate::AppState;

/// Shared between the UI commands and the call engine's thread.
#[derive(Clone)]
pub struct AudioControls {
    volume: GainControl,
    /// The microphone's last RMS level in dBFS, as f32 bits.
    input_level: Arc<AtomicU32>,
    /// Every call's audio; its devices are set when a session starts.
    bridge: CallBridge<CallId>,
    /// The voice processing stages the settings ask for; the bridge's processor follows it
    /// between frames.
    stages: StageSwitch,
}

/// Whether this build processes the microphone at all: only the Linux build links the
/// WebRTC module (decision 0405); elsewhere the switches in the settings would do nothing.
pub const VOICE_PROCESSING: bool =
    cfg!(target_os = "linux") && koppla_media::processing::WEBRTC_AVAILABLE;

impl Default for AudioControls {
    fn default() -> Self {
        AudioControls {
            volume: GainControl::default(),
            input_level: Arc::new(AtomicU32::new(SILENCE_DBFS.to_bits())),
            bridge: CallBridge::new(
                Box::new(|| Err(AudioError::Device("no session has chosen devices".into()))),
                Box::new(|| Err(AudioError::Device("no session has chosen devices".into()))),
            ),
            stages: StageSwitch::new(stages(&AppSettings::default())),
        }
    }
}

/// The stages the settings switch on.
pub fn stages(settings: &AppSettings) -> ProcessingSettings {
    ProcessingSettings {
        echo_cancellation: settings.echo_cancellation,
        gain_control: settings.gain_control,
        noise_suppression: settings.noise_suppression,
    }
}

impl AudioControls {
    pub fn set_volume(&self, percent: u8) {
        self.volume.set_volume_percent(percent);
    }

    pub fn input_level_dbfs(&self) -> f32 {
        f32::from_bits(self.input_level.load(Ordering::Relaxed))
    }

    pub fn bridge(&self) -> CallBridge<CallId> {
        self.bridge.clone()
    }

    /// Switches echo cancellation, noise suppression and gain control as the settings say;
    /// a call in progress follows from its next 20 ms frame.
    pub fn use_voice_processing(&self, settings: &AppSettings) {
        self.stages.set(stages(settings));
    }

    /// Uses the devices and volume from the settings; calls in progress move to them at once.
    pub fn use_devices(&self, settings: &AppSettings) {
        self.set_volume(settings.volume);
        let input = choice(&settings.audio_input);
        let output = choice(&settings.audio_output);
        // The openers hold the level and gain, not the controls: those own the bridge.
        let level = Arc::clone(&self.input_level);
        let volume = self.volume.clone();
        self.bridge.set_devices(
            Box::new(move || {
                level.store(SILENCE_DBFS.to_bits(), Ordering::Relaxed);
                let source = with_fallback(&input, koppla_audio::devices::open_input)?;
                let metered = MeteredSource::publishing_to(source, Arc::clone(&level));
                Ok(Box::new(metered) as Box<dyn AudioSource>)
            }),
            Box::new(move || {
                let sink = with_fallback(&output, koppla_audio::devices::open_output)?;
                Ok(Box::new(VolumeSink::new(sink, volume.clone())) as Box<dyn AudioSink>)
            }),
        );
    }
}

/// Passes the microphone through while publishing its level for the meter.
pub struct MeteredSource<S> {
    inner: S,
    meter: LevelMeter,
    level: Arc<AtomicU32>,
}

impl<S: AudioSource> MeteredSource<S> {
    fn publishing_to(inner: S, level: Arc<AtomicU32>) -> Self {
        MeteredSource {
            inner,
            meter: LevelMeter::default(),
            level,
        }
    }
}

impl<S: AudioSource> AudioSource for MeteredSource<S> {
    fn read_frame(&mut self, out: &mut [i16]) -> Result<bool, AudioError> {
        let more = self.inner.read_frame(out)?;
        let level = self.meter.feed(out);
        self.level
            .store(level.rms_dbfs.to_bits(), Ordering::Relaxed);
        Ok(more)
    }
}

pub fn choice(name: &Option<String>) -> DeviceChoice {
    match name {
        Some(name) if !name.trim().is_empty() => DeviceChoice::Named(name.clone()),
        _ => DeviceChoice::SystemDefault,
    }
}

/// The devices from the settings; a chosen device that is gone falls back to the system
/// default, and no device at all to silence. Calls get endpoints of the shared bridge, which
/// opens these devices once for all calls.
pub struct DeviceAudio {
    bridge: CallBridge<CallId>,
}

impl DeviceAudio {
    pub fn new(settings: &AppSettings, controls: AudioControls) -> DeviceAudio {
        controls.use_devices(settings);
        controls.use_voice_processing(settings);
        controls
            .bridge
            .set_processing(device_processing(&controls.stages));
        // A new session numbers its calls afresh: what the last one left must not route them.
        controls.bridge.clear();
        DeviceAudio {
            bridge: controls.bridge,
        }
    }
}

fn with_fallback<T>(
    choice: &DeviceChoice,
    open: impl Fn(&DeviceChoice) -> Result<T, AudioError>,
) -> Result<T, AudioError> {
    match open(choice) {
        Ok(device) => Ok(device),
        Err(err) if *choice != DeviceChoice::SystemDefault => {
            tracing::warn!(%err, "chosen sound device unavailable; using the system default");
            open(&DeviceChoice::SystemDefault)
        }
        Err(err) => Err(err),
    }
}

impl AudioFactory for DeviceAudio {
    fn source(&mut self, call: CallId) -> Box<dyn AudioSource> {
        Box::new(self.bridge.source(call))
    }

    fn sink(&mut self, call: CallId) -> Box<dyn AudioSink> {
        Box::new(self.bridge.sink(call))
    }

    /// The bridge processes the shared microphone against the whole speaker mix; a call's
    /// own stage would see only its own far end and would process conference partners too.
    #[cfg(target_os = "linux")]
    fn processor(&mut self, _call: CallId) -> Box<dyn VoiceProcessor> {
        Box::new(koppla_media::processing::PassThrough)
    }
}

/// Echo cancellation, gain control and noise suppression for the shared devices, following
/// the switches in the settings. Only the Linux build links the WebRTC module; elsewhere audio
/// passes through as it did per call.
#[cfg(target_os = "linux")]
fn device_processing(stages: &StageSwitch) -> Option<Box<dyn DeviceProcessing>> {
    Some(Box::new(VoiceProcessing(Box::new(stages.processor()))))
}

#[cfg(not(target_os = "linux"))]
fn device_processing(_stages: &StageSwitch) -> Option<Box<dyn DeviceProcessing>> {
    None
}

#[cfg(target_os = "linux")]
struct VoiceProcessing(Box<dyn VoiceProcessor>);

#[cfg(target_os = "linux")]
impl DeviceProcessing for VoiceProcessing {
    fn render(&mut self, speaker: &[i16]) {
        self.0.process_render(speaker);
    }

    fn capture(&mut self, mic: &mut [i16]) {
        self.0.process_capture(mic);
    }
}

/// The system's sound devices; empty lists (and the reason) when there are none.
#[tauri::command]
pub async fn audio_devices() -> AudioDevicesView {
    let listed = tokio::task::spawn_blocking(koppla_audio::devices::snapshot).await;
    match listed {
        Ok(Ok(snapshot)) => AudioDevicesView {
            inputs: snapshot.inputs,
            outputs: snapshot.outputs,
            default_input: snapshot.default_input,
            default_output: snapshot.default_output,
            error: None,
            voice_processing: Some(VOICE_PROCESSING),
        },
        Ok(Err(err)) => AudioDevicesView::empty(err.to_string()),
        Err(err) => AudioDevicesView::empty(err.to_string()),
    }
}

/// The microphone's level in dBFS (-96 is silence); the meter polls it during calls.
#[tauri::command]
pub fn audio_level(state: State<'_, AppState>) -> f32 {
    state.audio.input_level_dbfs()
}

#[cfg(test)]
mod tests {
    use super::*;
    use koppla_audio::memory::{BufferSource, CaptureSink};

    #[test]
    fn the_meter_follows_the_microphone_and_passes_audio_through() {
        let controls = AudioControls::default();
        assert_eq!(controls.input_level_dbfs(), SILENCE_DBFS);
        let loud: Vec<i16> = (0..960)
            .map(|i| if i % 2 == 0 { 16_384 } else { -16_384 })
            .collect();
        let mut source = MeteredSource::publishing_to(
            BufferSource::new(loud.clone()),
            Arc::clone(&controls.input_level),
        );
        let mut frame = vec![0i16; 960];
        assert!(source.read_frame(&mut frame).expect("frame"));
        assert_eq!(frame, loud);
        let level = controls.input_level_dbfs();
        assert!(
            (level + 6.02).abs() < 0.1,
            "half scale is -6 dBFS, got {level}"
        );
    }

    #[test]
    fn volume_scales_what_the_speaker_gets() {
        let controls = AudioControls::default();
        let (capture, handle) = CaptureSink::new();
        let mut sink = VolumeSink::new(capture, controls.volume.clone());
        controls.set_volume(50);
        sink.write_frame(&[1000, -1000]).expect("written");
        controls.set_volume(100);
        sink.write_frame(&[1000]).expect("written");
        assert_eq!(handle.samples(), vec![500, -500, 1000]);
    }

    /// Half a second of a quiet 440 Hz tone (about -43 dBFS), then half a second of silence,
    /// repeated: a microphone set far too low.
    fn quiet_voice(seconds: usize) -> Vec<i16> {
        (0..48_000 * seconds)
            .map(|n| {
                if (n / 24_000) % 2 == 1 {
                    return 0;
                }
                let phase = 2.0 * std::f64::consts::PI * 440.0 * n as f64 / 48_000.0;
                (300.0 * phase.sin()) as i16
            })
            .collect()
    }

    fn rms_of_tone(samples: &[i16]) -> f64 {
        let playing: Vec<f64> = samples
            .iter()
            .enumerate()
            .filter(|(n, _)| (n / 24_000).is_multiple_of(2) && n % 24_000 >= 4_800)
            .map(|(_, &s)| f64::from(s).powi(2))
            .collect();
        (playing.iter().sum::<f64>() / playing.len() as f64).sqrt()
    }

    /// The path `settings_set` takes: a changed gain-control switch reaches the processor of
    /// a call already running on the bridge, without a new login or a new call.
    #[test]
    fn a_changed_switch_reaches_the_running_call() {
        let off = AppSettings {
            echo_cancellation: false,
            noise_suppression: false,
            gain_control: false,
            ..AppSettings::default()
        };
        let controls = AudioControls::default();
        let mut audio = DeviceAudio::new(&off, controls.clone());
        // The microphone is a quiet voice instead of a sound card.
        let mic = quiet_voice(10);
        let from_mic = mic.clone();
        controls.bridge.set_devices(
            Box::new(move || {
                Ok(Box::new(BufferSource::new(from_mic.clone())) as Box<dyn AudioSource>)
            }),
            Box::new(|| Ok(Box::new(CaptureSink::new().0) as Box<dyn AudioSink>)),
        );
        let call: CallId = 1;
        controls.bridge.set_connected(call, true);
        let mut sent_by_call = audio.source(call);
        let mut read = |seconds: usize| {
            let mut sent = Vec::new();
            let mut frame = vec![0i16; 960];
            for _ in 0..seconds * 50 {
                sent_by_call.read_frame(&mut frame).expect("frame");
                sent.extend_from_slice(&frame);
            }
            sent
        };
        let before = read(2);
        assert_eq!(
            before,
            mic[..before.len()],
            "with the switches off the call sends the microphone untouched"
        );

        controls.use_voice_processing(&AppSettings {
            gain_control: true,
            ..off.clone()
        });
        let after = read(8);
        if VOICE_PROCESSING {
            let rise = 20.0 * (rms_of_tone(&after[48_000 * 5..]) / rms_of_tone(&before)).log10();
            eprintln!("the call's microphone rose {rise:.1} dB after gain control was switched on");
            assert!(
                rise > 3.0,
                "gain control raised the call's microphone only {rise:.1} dB"
            );
        } else {
            assert_eq!(after, mic[before.len()..before.len() + after.len()]);
        }
    }

    #[test]
    fn settings_from_before_the_three_switches_keep_gain_control_off() {
        let read = |json: &str| {
            crate::settings::normalise(serde_json::from_str(json).expect("old settings"))
        };
        let old = read(r#"{"language":"sv","agc":false}"#);
        assert!(!old.gain_control, "AGC switched off before stays off");
        assert!(old.echo_cancellation && old.noise_suppression);
        assert!(read(r#"{"agc":true}"#).gain_control);
        // Saved again, the file has only the new switches.
        let saved = serde_json::to_string(&old).expect("saved");
        assert!(!saved.contains("agc"), "{saved}");
        assert!(!read(&saved).gain_control);
        assert_eq!(
            stages(&old),
            ProcessingSettings {
                echo_cancellation: true,
                gain_control: false,
                noise_suppression: true,
            }
        );
    }

    #[test]
    fn an_unset_or_blank_device_follows_the_system() {
        assert_eq!(choice(&None), DeviceChoice::SystemDefault);
        assert_eq!(choice(&Some("  ".into())), DeviceChoice::SystemDefault);
        assert_eq!(
            choice(&Some("USB Headset".into())),
            DeviceChoice::Named("USB Headset".into())
        );
    }

    #[test]
    fn a_missing_chosen_device_falls_back_to_the_default() {
        let opened = with_fallback(&DeviceChoice::Named("gone".into()), |choice| match choice {
            DeviceChoice::Named(_) => Err(AudioError::Device("not found".into())),
            DeviceChoice::SystemDefault => Ok("default"),
        });
        assert_eq!(opened.ok(), Some("default"));
        let none = with_fallback(&DeviceChoice::SystemDefault, |_| {
            Err::<&str, _>(AudioError::Device("no devices".into()))
        });
        assert!(none.is_err());
    }
}
