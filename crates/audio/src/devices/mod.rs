//! Real sound devices through cpal (ALSA / PulseAudio / PipeWire on Linux).
//!
//! cpal streams are not `Send`, but [`AudioSource`]/[`AudioSink`] must be, so each opened
//! device runs its stream on a dedicated thread and exchanges samples through a bounded
//! queue. Device rate and channel count are whatever the device prefers; conversion to
//! the 48 kHz mono frame contract happens on the caller's side of the queue.

mod stream;
mod watcher;

use cpal::traits::{DeviceTrait, HostTrait};

pub use stream::{DeviceSink, DeviceSource};
pub use watcher::HotplugWatcher;

use crate::hotplug::{DeviceChoice, DeviceSnapshot, Direction};
use crate::AudioError;

/// A device as the settings UI lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    pub name: String,
    pub direction: Direction,
    pub is_default: bool,
}

/// Snapshot of the default host's devices. Devices whose name cannot be read are skipped.
pub fn snapshot() -> Result<DeviceSnapshot, AudioError> {
    let host = cpal::default_host();
    let names = |it: Result<Box<dyn Iterator<Item = cpal::Device>>, cpal::DevicesError>| -> Result<Vec<String>, AudioError> {
        Ok(it.map_err(|e| AudioError::Device(e.to_string()))?.filter_map(|d| d.name().ok()).collect())
    };
    let inputs = names(
        host.input_devices()
            .map(|i| Box::new(i) as Box<dyn Iterator<Item = _>>),
    )?;
    let outputs = names(
        host.output_devices()
            .map(|i| Box::new(i) as Box<dyn Iterator<Item = _>>),
    )?;
    Ok(DeviceSnapshot {
        inputs,
        outputs,
        default_input: host.default_input_device().and_then(|d| d.name().ok()),
        default_output: host.default_output_device().and_then(|d| d.name().ok()),
    })
}

/// Inputs then outputs, with default flags.
pub fn list_devices() -> Result<Vec<DeviceInfo>, AudioError> {
    let s = snapshot()?;
    let mut out = Vec::new();
    for (dir, names, def) in [
        (Direction::Input, &s.inputs, &s.default_input),
        (Direction::Output, &s.outputs, &s.default_output),
    ] {
        for n in names {
            out.push(DeviceInfo {
                name: n.clone(),
                direction: dir,
                is_default: def.as_deref() == Some(n.as_str()),
            });
        }
    }
    Ok(out)
}

pub(crate) fn find_device(
    choice: &DeviceChoice,
    direction: Direction,
) -> Result<cpal::Device, AudioError> {
    let host = cpal::default_host();
    match choice {
        DeviceChoice::SystemDefault => match direction {
            Direction::Input => host.default_input_device(),
            Direction::Output => host.default_output_device(),
        }
        .ok_or_else(|| AudioError::DeviceNotFound("system default".into())),
        DeviceChoice::Named(name) => {
            let mut it: Box<dyn Iterator<Item = cpal::Device>> = match direction {
                Direction::Input => Box::new(
                    host.input_devices()
                        .map_err(|e| AudioError::Device(e.to_string()))?,
                ),
                Direction::Output => Box::new(
                    host.output_devices()
                        .map_err(|e| AudioError::Device(e.to_string()))?,
                ),
            };
            it.find(|d| d.name().ok().as_deref() == Some(name.as_str()))
                .ok_or_else(|| AudioError::DeviceNotFound(name.clone()))
        }
    }
}

/// Opens a microphone.
pub fn open_input(choice: &DeviceChoice) -> Result<DeviceSource, AudioError> {
    DeviceSource::open(choice)
}

/// Opens a speaker; use a second call with the ringtone choice for the ringtone device.
pub fn open_output(choice: &DeviceChoice) -> Result<DeviceSink, AudioError> {
    DeviceSink::open(choice)
}
