//! In-memory source and sink, for tests and for piping between components.

use std::sync::{Arc, Mutex};

use crate::{AudioError, AudioSink, AudioSource};

/// Plays a fixed buffer once, then reports end of input.
#[derive(Debug, Clone)]
pub struct BufferSource {
    samples: Vec<i16>,
    pos: usize,
}

impl BufferSource {
    pub fn new(samples: Vec<i16>) -> Self {
        Self { samples, pos: 0 }
    }
}

impl AudioSource for BufferSource {
    fn read_frame(&mut self, out: &mut [i16]) -> Result<bool, AudioError> {
        if self.pos >= self.samples.len() {
            out.fill(0);
            return Ok(false);
        }
        let rest = &self.samples[self.pos..];
        let n = rest.len().min(out.len());
        out[..n].copy_from_slice(&rest[..n]);
        out[n..].fill(0);
        self.pos += n;
        Ok(true)
    }
}

/// Shared view of what a [`CaptureSink`] received.
#[derive(Debug, Clone, Default)]
pub struct CaptureHandle(Arc<Mutex<Vec<i16>>>);

impl CaptureHandle {
    /// Copy of everything captured so far.
    pub fn samples(&self) -> Vec<i16> {
        match self.0.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }
}

/// Appends every frame to a shared buffer.
#[derive(Debug, Clone, Default)]
pub struct CaptureSink {
    buf: CaptureHandle,
}

impl CaptureSink {
    pub fn new() -> (Self, CaptureHandle) {
        let s = Self::default();
        let h = s.buf.clone();
        (s, h)
    }
}

impl AudioSink for CaptureSink {
    fn write_frame(&mut self, frame: &[i16]) -> Result<(), AudioError> {
        let mut g = self.buf.0.lock().unwrap_or_else(|p| p.into_inner());
        g.extend_from_slice(frame);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_roundtrip_through_capture() {
        let data: Vec<i16> = (0..2000).map(|i| i as i16).collect();
        let mut src = BufferSource::new(data.clone());
        let (mut sink, h) = CaptureSink::new();
        let mut frame = vec![0i16; 960];
        let mut frames = 0;
        while src.read_frame(&mut frame).unwrap() {
            sink.write_frame(&frame).unwrap();
            frames += 1;
        }
        assert_eq!(frames, 3);
        let got = h.samples();
        assert_eq!(&got[..2000], &data[..]);
        assert!(got[2000..].iter().all(|&s| s == 0));
    }
}
