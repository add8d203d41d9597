//! Sans-IO debouncer for the search box: fed keystrokes and `now`, it says when to search.

use std::time::{Duration, Instant};

/// Shortest allowed debounce: below this every keystroke would search anyway.
pub const MIN_DEBOUNCE: Duration = Duration::from_millis(50);

#[derive(Debug, Clone)]
pub struct Debouncer {
    delay: Duration,
    pending: Option<(String, Instant)>,
    last_emitted: Option<String>,
}

impl Debouncer {
    /// `delay` is raised to [`MIN_DEBOUNCE`] if smaller.
    pub fn new(delay: Duration) -> Self {
        Debouncer {
            delay: delay.max(MIN_DEBOUNCE),
            pending: None,
            last_emitted: None,
        }
    }

    pub fn delay(&self) -> Duration {
        self.delay
    }

    /// The search box now shows `text`. Restarts the quiet period; clearing the box is due
    /// at once so stale results disappear without delay.
    pub fn input(&mut self, text: &str, now: Instant) {
        let due = if text.trim().is_empty() {
            now
        } else {
            now + self.delay
        };
        self.pending = Some((text.to_string(), due));
    }

    /// When the driver should call [`Debouncer::poll`] next.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.pending.as_ref().map(|(_, due)| *due)
    }

    /// Returns the query to run once the quiet period has passed (never the same text twice
    /// in a row).
    pub fn poll(&mut self, now: Instant) -> Option<String> {
        match &self.pending {
            Some((_, due)) if *due <= now => self.emit(),
            _ => None,
        }
    }

    /// Enter pressed: run whatever is pending right now.
    pub fn flush(&mut self) -> Option<String> {
        self.emit()
    }

    fn emit(&mut self) -> Option<String> {
        let (text, _) = self.pending.take()?;
        if self.last_emitted.as_deref() == Some(text.as_str()) {
            return None;
        }
        self.last_emitted = Some(text.clone());
        Some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn enforces_minimum_delay() {
        assert_eq!(Debouncer::new(Duration::ZERO).delay(), MIN_DEBOUNCE);
        assert_eq!(Debouncer::new(120 * MS).delay(), 120 * MS);
    }

    #[test]
    fn emits_only_after_quiet_period_with_latest_text() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(80 * MS);
        d.input("a", t0);
        d.input("an", t0 + 30 * MS);
        assert_eq!(
            d.poll(t0 + 100 * MS),
            None,
            "second key restarted the timer"
        );
        assert_eq!(d.next_deadline(), Some(t0 + 110 * MS));
        assert_eq!(d.poll(t0 + 110 * MS).as_deref(), Some("an"));
        assert_eq!(d.poll(t0 + 500 * MS), None);
        assert_eq!(d.next_deadline(), None);
    }

    #[test]
    fn same_text_is_not_searched_twice_and_clear_is_immediate() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(50 * MS);
        d.input("ab", t0);
        assert_eq!(d.poll(t0 + 50 * MS).as_deref(), Some("ab"));
        d.input("a", t0 + 60 * MS);
        d.input("ab", t0 + 70 * MS);
        assert_eq!(d.poll(t0 + 200 * MS), None);
        d.input("", t0 + 300 * MS);
        assert_eq!(d.poll(t0 + 300 * MS).as_deref(), Some(""));
    }

    #[test]
    fn flush_runs_pending_now() {
        let t0 = Instant::now();
        let mut d = Debouncer::new(200 * MS);
        d.input("0701", t0);
        assert_eq!(d.flush().as_deref(), Some("0701"));
        assert_eq!(d.flush(), None);
    }
}
