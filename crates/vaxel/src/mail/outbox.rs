//! The outbox's retry schedule, sans-IO: fed the row's history and `now` (unix seconds), it
//! says when to try again or that the mail is given up. The rows themselves live in SQLite
//! (`store/mail.rs`) so a queued notice survives a switch restart; the worker in `worker.rs`
//! only carries out what this decides.

use std::time::Duration;

/// Longest the worker sleeps without looking at the outbox, so a wall-clock jump or a row
/// queued by another process is noticed within this time even without a wake-up.
pub const MAX_IDLE: Duration = Duration::from_secs(60);

/// How one delivery attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Worth retrying: relay unreachable, TLS or timeout trouble, a 4xx reply.
    Transient(String),
    /// The relay refused for good (5xx) or the mail cannot be built: retrying cannot help.
    Permanent(String),
}

impl Failure {
    pub fn detail(&self) -> &str {
        match self {
            Failure::Transient(d) | Failure::Permanent(d) => d,
        }
    }
}

/// Why a mail was given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiveUp {
    /// A permanent rejection.
    Rejected,
    /// Still failing after `give_up_after`.
    Expired,
}

/// What to do with a mail after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Try again at this unix time.
    RetryAt(i64),
    GiveUp(GiveUp),
}

/// Waits between attempts: `delays[0]` after the first failure, `delays[1]` after the second,
/// and the last one repeated, until `give_up_after` has passed since the mail was queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    pub delays: Vec<Duration>,
    pub give_up_after: Duration,
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

impl Backoff {
    /// After failed attempt number `attempts` (1 for the first) of a mail queued at
    /// `queued_at`, failing at `now`.
    pub fn after_failure(
        &self,
        queued_at: i64,
        attempts: u32,
        now: i64,
        failure: &Failure,
    ) -> Next {
        if matches!(failure, Failure::Permanent(_)) {
            return Next::GiveUp(GiveUp::Rejected);
        }
        let deadline = queued_at.saturating_add(secs(self.give_up_after));
        if now >= deadline {
            return Next::GiveUp(GiveUp::Expired);
        }
        let index = usize::try_from(attempts.saturating_sub(1)).unwrap_or(usize::MAX);
        let delay = self
            .delays
            .get(index)
            .or(self.delays.last())
            .map_or(MAX_IDLE, |d| *d);
        // The last try lands on the deadline rather than after it, so "24 h" means 24 h.
        Next::RetryAt(now.saturating_add(secs(delay).max(1)).min(deadline))
    }
}

/// How long the worker may sleep when the earliest pending mail is due at `next_due`.
pub fn idle(next_due: Option<i64>, now: i64) -> Duration {
    match next_due {
        Some(at) if at <= now => Duration::ZERO,
        Some(at) => Duration::from_secs(u64::try_from(at - now).unwrap_or(u64::MAX)).min(MAX_IDLE),
        None => MAX_IDLE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_780_000_000;

    fn policy() -> Backoff {
        Backoff {
            delays: [60, 300, 900, 3600].map(Duration::from_secs).to_vec(),
            give_up_after: Duration::from_secs(24 * 3600),
        }
    }

    fn down() -> Failure {
        Failure::Transient("connection refused".into())
    }

    /// Replays a relay that never answers: every attempt fails at the time it was scheduled.
    #[test]
    fn waits_grow_then_repeat_until_a_day_has_passed() {
        let p = policy();
        let mut now = T0;
        let mut waits = Vec::new();
        for attempt in 1.. {
            match p.after_failure(T0, attempt, now, &down()) {
                Next::RetryAt(at) => {
                    waits.push(at - now);
                    now = at;
                }
                Next::GiveUp(why) => {
                    assert_eq!(why, GiveUp::Expired);
                    break;
                }
            }
        }
        assert_eq!(&waits[..5], &[60, 300, 900, 3600, 3600]);
        assert_eq!(
            now,
            T0 + 24 * 3600,
            "the last try is exactly at the deadline"
        );
        // 60 + 300 + 900 = 1260 s, then 23 full hours (84 060 s), then the 2340 s left.
        assert_eq!(waits.len(), 3 + 23 + 1);
        assert_eq!(waits.last(), Some(&2340));
        assert!(waits.iter().all(|w| *w > 0));
    }

    #[test]
    fn a_permanent_rejection_is_not_retried() {
        let p = policy();
        let r = Failure::Permanent("550 5.1.1 no such user".into());
        assert_eq!(
            p.after_failure(T0, 1, T0, &r),
            Next::GiveUp(GiveUp::Rejected)
        );
        assert_eq!(r.detail(), "550 5.1.1 no such user");
    }

    #[test]
    fn a_late_first_failure_is_still_given_up_after_a_day() {
        // The switch was down for two days with the mail queued: one try, then give up.
        let p = policy();
        assert_eq!(
            p.after_failure(T0, 1, T0 + 2 * 86_400, &down()),
            Next::GiveUp(GiveUp::Expired)
        );
        assert_eq!(
            p.after_failure(T0, 9, T0 + 86_400 - 10, &down()),
            Next::RetryAt(T0 + 86_400)
        );
    }

    #[test]
    fn short_test_policy_and_zero_waits() {
        let p = Backoff {
            delays: vec![Duration::from_secs(1)],
            give_up_after: Duration::from_secs(30),
        };
        assert_eq!(p.after_failure(T0, 1, T0, &down()), Next::RetryAt(T0 + 1));
        assert_eq!(
            p.after_failure(T0, 7, T0 + 5, &down()),
            Next::RetryAt(T0 + 6)
        );
        // A zero wait (config validation forbids it) still moves forward.
        let z = Backoff {
            delays: vec![Duration::ZERO],
            give_up_after: Duration::from_secs(30),
        };
        assert_eq!(z.after_failure(T0, 1, T0, &down()), Next::RetryAt(T0 + 1));
    }

    #[test]
    fn idle_time() {
        assert_eq!(idle(None, T0), MAX_IDLE);
        assert_eq!(idle(Some(T0 - 5), T0), Duration::ZERO);
        assert_eq!(idle(Some(T0), T0), Duration::ZERO);
        assert_eq!(idle(Some(T0 + 7), T0), Duration::from_secs(7));
        assert_eq!(idle(Some(T0 + 7200), T0), MAX_IDLE);
    }
}
