//! Login lockout after repeated failures (GB/T 22239-2019 level 3:
//! "limit illegal login attempts").

/// How many consecutive failures lock an account, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub max_failures: u32,
    pub lock_ms: i64,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            max_failures: 5,
            lock_ms: 15 * 60 * 1000,
        }
    }
}

impl LockoutPolicy {
    /// The lock that follows a failure, given the failures counted before it:
    /// when the count reaches the limit the account is locked until the
    /// returned time, and the count starts again.
    pub fn after_failure(&self, failures_before: u32, now_ms: i64) -> FailureOutcome {
        let failures = failures_before.saturating_add(1);
        if failures >= self.max_failures {
            FailureOutcome {
                failures: 0,
                locked_until_ms: Some(now_ms + self.lock_ms),
            }
        } else {
            FailureOutcome {
                failures,
                locked_until_ms: None,
            }
        }
    }

    pub fn is_locked(locked_until_ms: Option<i64>, now_ms: i64) -> bool {
        locked_until_ms.is_some_and(|until| now_ms < until)
    }
}

/// What to store after a failed login.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailureOutcome {
    pub failures: u32,
    pub locked_until_ms: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_on_the_fifth_failure_then_counts_again() {
        let p = LockoutPolicy::default();
        let mut failures = 0;
        for attempt in 1..=4 {
            let o = p.after_failure(failures, 1000);
            assert_eq!(
                o,
                FailureOutcome {
                    failures: attempt,
                    locked_until_ms: None
                }
            );
            failures = o.failures;
        }
        let o = p.after_failure(failures, 1000);
        assert_eq!(
            o,
            FailureOutcome {
                failures: 0,
                locked_until_ms: Some(1000 + 900_000)
            }
        );
    }

    #[test]
    fn lock_expires() {
        assert!(LockoutPolicy::is_locked(Some(2000), 1999));
        assert!(!LockoutPolicy::is_locked(Some(2000), 2000));
        assert!(!LockoutPolicy::is_locked(None, 0));
    }
}
