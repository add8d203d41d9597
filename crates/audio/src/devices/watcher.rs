use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::hotplug::{DeviceEvent, HotplugTracker};

/// Polls the device lists on a background thread and sends [`DeviceEvent`]s.
/// Stops when dropped.
pub struct HotplugWatcher {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl HotplugWatcher {
    /// `interval` of about a second is plenty for plug/unplug and cheap on ALSA.
    pub fn spawn(interval: Duration) -> (Self, mpsc::Receiver<DeviceEvent>) {
        let (tx, rx) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let st = stop.clone();
        let handle = std::thread::Builder::new()
            .name("koppla-hotplug".into())
            .spawn(move || {
                let mut tracker = HotplugTracker::default();
                while !st.load(Ordering::Relaxed) {
                    match super::snapshot() {
                        Ok(snap) => {
                            for ev in tracker.update(snap) {
                                if tx.send(ev).is_err() {
                                    return;
                                }
                            }
                        }
                        Err(e) => tracing::debug!(error = %e, "device poll failed"),
                    }
                    // Sleep in small steps so drop() returns quickly.
                    let mut slept = Duration::ZERO;
                    while slept < interval && !st.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_millis(50));
                        slept += Duration::from_millis(50);
                    }
                }
            })
            .ok();
        (Self { stop, handle }, rx)
    }
}

impl Drop for HotplugWatcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
