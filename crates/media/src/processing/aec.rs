//! WebRTC APM (libwebrtc-audio-processing 0.3, via `webrtc-audio-processing` 0.5).
//! The APM works on 10 ms blocks (480 samples at 48 kHz), f32 in -1..1, so each 20 ms
//! frame is processed as two blocks.

use webrtc_audio_processing as apm;

use super::{ProcessingSettings, VoiceProcessor};

#[derive(Debug, thiserror::Error)]
#[error("voice processing: {0}")]
pub struct ProcessingError(String);

pub struct WebrtcProcessor {
    inner: apm::Processor,
    block: Vec<f32>,
}

const BLOCK: usize = apm::NUM_SAMPLES_PER_FRAME as usize;

impl WebrtcProcessor {
    pub fn new(settings: ProcessingSettings) -> Result<Self, ProcessingError> {
        let init = apm::InitializationConfig {
            num_capture_channels: 1,
            num_render_channels: 1,
            ..Default::default()
        };
        let mut inner =
            apm::Processor::new(&init).map_err(|e| ProcessingError(format!("{e:?}")))?;
        inner.set_config(config_for(settings));
        Ok(Self {
            inner,
            block: vec![0.0; BLOCK],
        })
    }

    /// Switches stages on or off in the running module. Unlike building a new one this keeps
    /// what the other stages have learnt (the echo path, the noise floor, the gain).
    pub fn set_stages(&mut self, settings: ProcessingSettings) {
        self.inner.set_config(config_for(settings));
    }

    fn run_capture(&mut self, frame: &mut [i16]) {
        for chunk in frame.chunks_mut(BLOCK) {
            if chunk.len() != BLOCK {
                continue;
            }
            to_block(&mut self.block, chunk);
            if let Err(e) = self.inner.process_capture_frame(&mut self.block) {
                tracing::debug!(error = ?e, "APM block failed; passing audio through");
                continue;
            }
            for (s, &b) in chunk.iter_mut().zip(self.block.iter()) {
                *s = (b * 32768.0).round().clamp(-32768.0, 32767.0) as i16;
            }
        }
    }

    fn run_render(&mut self, frame: &[i16]) {
        for chunk in frame.chunks(BLOCK) {
            if chunk.len() != BLOCK {
                continue;
            }
            to_block(&mut self.block, chunk);
            if let Err(e) = self.inner.process_render_frame(&mut self.block) {
                tracing::debug!(error = ?e, "APM render block failed; the echo reference skips it");
            }
        }
    }
}

fn to_block(block: &mut [f32], samples: &[i16]) {
    for (b, &s) in block.iter_mut().zip(samples.iter()) {
        *b = f32::from(s) / 32768.0;
    }
}

fn config_for(settings: ProcessingSettings) -> apm::Config {
    apm::Config {
        echo_cancellation: settings.echo_cancellation.then_some(apm::EchoCancellation {
            suppression_level: apm::EchoCancellationSuppressionLevel::High,
            enable_extended_filter: true,
            // Device latency is unknown (and changes with the device), so let the
            // APM estimate the delay.
            enable_delay_agnostic: true,
            stream_delay_ms: None,
        }),
        gain_control: settings.gain_control.then_some(apm::GainControl {
            mode: apm::GainControlMode::AdaptiveDigital,
            target_level_dbfs: 3,
            compression_gain_db: 9,
            enable_limiter: true,
        }),
        noise_suppression: settings.noise_suppression.then_some(apm::NoiseSuppression {
            suppression_level: apm::NoiseSuppressionLevel::High,
        }),
        enable_high_pass_filter: true,
        ..Default::default()
    }
}

impl VoiceProcessor for WebrtcProcessor {
    fn process_render(&mut self, render: &[i16]) {
        self.run_render(render);
    }

    fn process_capture(&mut self, capture: &mut [i16]) {
        self.run_capture(capture);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn energy(x: &[i16]) -> f64 {
        x.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / x.len() as f64
    }

    #[test]
    fn cancels_a_simulated_echo() {
        let mut p = WebrtcProcessor::new(ProcessingSettings {
            gain_control: false,
            noise_suppression: false,
            echo_cancellation: true,
        })
        .unwrap();
        // Far-end speech stand-in: pseudo-random noise; echo = half of it, 30 ms later.
        let mut x = 1u32;
        let far: Vec<i16> = (0..48000 * 6)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                ((x as i32 >> 20) as i16).wrapping_mul(2)
            })
            .collect();
        let delay = 48 * 30;
        let (mut before, mut after) = (0.0, 0.0);
        for (i, f) in far.chunks(960).enumerate() {
            p.process_render(f);
            let mut mic: Vec<i16> = (0..960)
                .map(|k| {
                    let j = i * 960 + k;
                    if j >= delay {
                        far[j - delay] / 2
                    } else {
                        0
                    }
                })
                .collect();
            let orig = mic.clone();
            p.process_capture(&mut mic);
            if i >= 250 {
                before += energy(&orig);
                after += energy(&mic);
            }
        }
        let erle_db = 10.0 * (before / after.max(1e-9)).log10();
        assert!(
            erle_db > 6.0,
            "echo return loss enhancement {erle_db:.1} dB"
        );
    }
}
