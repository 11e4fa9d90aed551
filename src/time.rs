//! Time as an argument: the core asks a [`Clock`] and never reads the system time itself,
//! so tests pin the time and the hosts choose the source.

/// Seconds since the Unix epoch, the unit of JWT `exp`, `nbf` and `iat` (RFC 7519 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(pub i64);

impl UnixTime {
    /// This time plus `seconds` (saturating: far-future arithmetic never wraps around).
    pub fn plus(self, seconds: i64) -> UnixTime {
        UnixTime(self.0.saturating_add(seconds))
    }
}

/// A source of the current time.
pub trait Clock {
    /// Now.
    fn now(&self) -> UnixTime;
}

/// The host's wall clock: `SystemTime` natively, `Date.now()` on wasm32.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[cfg(not(target_arch = "wasm32"))]
    fn now(&self) -> UnixTime {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        UnixTime(i64::try_from(since_epoch).unwrap_or(i64::MAX))
    }

    #[cfg(target_arch = "wasm32")]
    fn now(&self) -> UnixTime {
        // `as` is exact here: milliseconds since 1970 fit in an f64 mantissa for millennia.
        UnixTime((js_sys::Date::now() / 1000.0).floor() as i64)
    }
}

/// A clock stopped at one instant, for tests and for replaying a decision.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub UnixTime);

impl Clock for FixedClock {
    fn now(&self) -> UnixTime {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_is_after_2024() {
        assert!(SystemClock.now() > UnixTime(1_704_067_200));
    }

    #[test]
    fn fixed_clock_and_saturating_plus() {
        let clock = FixedClock(UnixTime(1_000));
        assert_eq!(clock.now().plus(60), UnixTime(1_060));
        assert_eq!(UnixTime(i64::MAX).plus(1), UnixTime(i64::MAX));
    }
}
