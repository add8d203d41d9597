//! Concealment for codecs without their own PLC (G.711, G.722): repeat the last good
//! frame with a fade (-6 dB per lost frame), reaching silence after a few frames. Simple
//! and free of clicks at frame edges because the fade ramps inside each frame.

use koppla_audio::{Resampler, FRAME_SAMPLES};

/// The decode side of a codec without its own PLC: decoded audio is resampled to the engine's
/// rate, whole frames are remembered, lost frames are concealed from the last one.
pub(crate) struct UpsampledPlc {
    up: Resampler,
    plc: RepeatPlc,
}

impl UpsampledPlc {
    pub fn new(up: Resampler) -> Self {
        UpsampledPlc {
            up,
            plc: RepeatPlc::default(),
        }
    }

    pub fn decoded(&mut self, samples: &[i16], out: &mut Vec<i16>) {
        let start = out.len();
        self.up.process(samples, out);
        if out.len() - start == FRAME_SAMPLES {
            self.plc.good_frame(&out[start..]);
        }
    }

    pub fn conceal(&mut self, out: &mut Vec<i16>) {
        self.plc.conceal(out, FRAME_SAMPLES);
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct RepeatPlc {
    last: Vec<i16>,
    lost_in_row: u32,
}

impl RepeatPlc {
    pub fn good_frame(&mut self, frame: &[i16]) {
        self.last.clear();
        self.last.extend_from_slice(frame);
        self.lost_in_row = 0;
    }

    pub fn conceal(&mut self, out: &mut Vec<i16>, frame_len: usize) {
        let start_gain = 0.5f32.powi(self.lost_in_row as i32);
        let end_gain = if self.lost_in_row >= 4 {
            0.0
        } else {
            start_gain * 0.5
        };
        self.lost_in_row += 1;
        if self.last.len() != frame_len || start_gain < 0.01 {
            out.extend(std::iter::repeat_n(0, frame_len));
            return;
        }
        for (i, &s) in self.last.iter().enumerate() {
            let g = start_gain + (end_gain - start_gain) * i as f32 / frame_len as f32;
            out.push((f32::from(s) * g) as i16);
        }
    }
}
