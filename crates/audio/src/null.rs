use crate::{AudioError, AudioSink, AudioSource};

/// A source of endless silence (e.g. a headless agent with no `--play` file).
#[derive(Debug, Default, Clone, Copy)]
pub struct NullSource;

impl AudioSource for NullSource {
    fn read_frame(&mut self, out: &mut [i16]) -> Result<bool, AudioError> {
        out.fill(0);
        Ok(true)
    }
}

/// A sink that discards everything but counts frames (so tests can see it was fed).
#[derive(Debug, Default, Clone, Copy)]
pub struct NullSink {
    frames: u64,
}

impl NullSink {
    pub fn frames_written(&self) -> u64 {
        self.frames
    }
}

impl AudioSink for NullSink {
    fn write_frame(&mut self, _frame: &[i16]) -> Result<(), AudioError> {
        self.frames += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_source_is_silent_and_endless() {
        let mut s = NullSource;
        let mut buf = [7i16; 960];
        for _ in 0..3 {
            assert!(s.read_frame(&mut buf).unwrap());
            assert!(buf.iter().all(|&x| x == 0));
        }
    }

    #[test]
    fn null_sink_counts() {
        let mut s = NullSink::default();
        s.write_frame(&[1; 960]).unwrap();
        s.write_frame(&[1; 960]).unwrap();
        assert_eq!(s.frames_written(), 2);
    }
}
