//! Call recorder: stereo 48 kHz WAV, left = local (what we send, after mute), right =
//! remote (what we play). Stereo rather than a mix so either side can be analysed or
//! muted later, and the mix is trivial for a player to do.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use koppla_audio::SAMPLE_RATE;

pub struct Recorder {
    writer: hound::WavWriter<BufWriter<File>>,
}

impl Recorder {
    pub fn create(path: &Path) -> Result<Self, hound::Error> {
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: SAMPLE_RATE,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        Ok(Self {
            writer: hound::WavWriter::create(path, spec)?,
        })
    }

    pub fn write(&mut self, local: &[i16], remote: &[i16]) -> Result<(), hound::Error> {
        let n = local.len().max(remote.len());
        let mut w = self.writer.get_i16_writer((2 * n) as u32);
        for i in 0..n {
            w.write_sample(local.get(i).copied().unwrap_or(0));
            w.write_sample(remote.get(i).copied().unwrap_or(0));
        }
        w.flush()
    }

    pub fn finish(self) -> Result<(), hound::Error> {
        self.writer.finalize()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_interleaved_stereo() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.wav");
        let mut r = Recorder::create(&p).unwrap();
        r.write(&[1, 2, 3], &[-1, -2]).unwrap();
        r.finish().unwrap();
        let mut rd = hound::WavReader::open(&p).unwrap();
        assert_eq!(rd.spec().channels, 2);
        let s: Vec<i16> = rd.samples::<i16>().map(|x| x.unwrap()).collect();
        assert_eq!(s, vec![1, -1, 2, -2, 3, 0]);
    }
}
