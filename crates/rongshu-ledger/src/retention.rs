//! How long entries must be kept. The Cybersecurity Law (Art. 21) requires
//! network logs be kept at least six months; the platform's retention may
//! be longer, never shorter.

/// The legal minimum, in days.
pub const MIN_RETENTION_DAYS: u32 = 180;

const DAY_MS: i64 = 86_400_000;

/// The configured retention period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    days: u32,
}

/// Why a retention setting or an archive request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RetentionError {
    #[error("retention of {days} days is below the legal minimum of {MIN_RETENTION_DAYS} days")]
    TooShort { days: u32 },
    #[error("entries from the last {days} days must be kept: archive only entries older than that")]
    TooRecent { days: u32 },
}

impl Retention {
    pub fn days(days: u32) -> Result<Retention, RetentionError> {
        if days < MIN_RETENTION_DAYS {
            Err(RetentionError::TooShort { days })
        } else {
            Ok(Retention { days })
        }
    }

    /// Checks that archiving everything before `before_ms` leaves every
    /// entry younger than the retention period in place.
    pub fn check_archive(&self, before_ms: i64, now_ms: i64) -> Result<(), RetentionError> {
        if before_ms > now_ms - i64::from(self.days) * DAY_MS {
            Err(RetentionError::TooRecent { days: self.days })
        } else {
            Ok(())
        }
    }
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            days: MIN_RETENTION_DAYS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_legal_minimum_is_enforced() {
        assert_eq!(
            Retention::days(179),
            Err(RetentionError::TooShort { days: 179 })
        );
        assert!(Retention::days(180).is_ok());
        assert!(Retention::days(3650).is_ok());
    }

    #[test]
    fn archives_stop_at_the_retention_boundary() {
        let r = Retention::default();
        let now = 1_000 * DAY_MS;
        assert_eq!(r.check_archive(now - 180 * DAY_MS, now), Ok(()));
        assert_eq!(
            r.check_archive(now - 180 * DAY_MS + 1, now),
            Err(RetentionError::TooRecent { days: 180 })
        );
        let long = Retention::days(365).unwrap();
        assert!(long.check_archive(now - 200 * DAY_MS, now).is_err());
    }
}
