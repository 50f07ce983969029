//! When an access token stops working.
//!
//! An Upstox access token expires at the next 03:30 in Asia/Kolkata after it
//! was issued, whenever that was: a token issued at 02:30 IST dies an hour
//! later. India keeps no daylight saving time, so 03:30 IST is always 22:00
//! UTC and no time-zone database is needed.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

// Arithmetic is in i128 seconds, so no instant a `SystemTime` can hold
// (a saved session may hold any) overflows it.
const DAY: i128 = 86_400;
/// 03:30 IST as seconds after midnight UTC (22:00 UTC).
const CUTOFF_UTC: i128 = 22 * 3600;
/// IST is UTC+05:30.
const IST_OFFSET: i128 = 5 * 3600 + 30 * 60;

/// Whole seconds since the epoch, rounded down.
fn to_unix(t: SystemTime) -> i128 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i128::from(d.as_secs()),
        Err(e) => {
            let d = e.duration();
            let whole = -i128::from(d.as_secs());
            if d.subsec_nanos() == 0 {
                whole
            } else {
                whole - 1
            }
        }
    }
}

fn from_unix(secs: i128) -> Option<SystemTime> {
    let magnitude = Duration::from_secs(u64::try_from(secs.unsigned_abs()).ok()?);
    if secs >= 0 {
        UNIX_EPOCH.checked_add(magnitude)
    } else {
        UNIX_EPOCH.checked_sub(magnitude)
    }
}

/// The instant a token issued at `issued_at` expires: the first 03:30
/// Asia/Kolkata strictly after it.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use upstox_login_sdk::expiry::{expires_at, format_ist};
///
/// // 2026-11-28 02:30 IST (21:00 UTC the day before) dies an hour later.
/// let issued = UNIX_EPOCH + Duration::from_secs(1_795_813_200);
/// assert_eq!(format_ist(issued), "2026-11-28 02:30:00 IST");
/// assert_eq!(format_ist(expires_at(issued)), "2026-11-28 03:30:00 IST");
/// ```
///
/// For an instant so far in the future that the next cut-off cannot be
/// represented, it returns `issued_at` itself: such a token counts as
/// expired, never as valid forever.
pub fn expires_at(issued_at: SystemTime) -> SystemTime {
    let secs = to_unix(issued_at);
    let next = (secs - CUTOFF_UTC).div_euclid(DAY) * DAY + DAY + CUTOFF_UTC;
    from_unix(next).unwrap_or(issued_at)
}

/// Whether a token issued at `issued_at` has expired at `now`.
pub fn is_expired(issued_at: SystemTime, now: SystemTime) -> bool {
    now >= expires_at(issued_at)
}

/// Formats an instant as Asia/Kolkata wall time: `2026-11-29 03:30:00 IST`.
pub fn format_ist(t: SystemTime) -> String {
    let local = to_unix(t) + IST_OFFSET;
    let (days, rem) = (local.div_euclid(DAY), local.rem_euclid(DAY));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} IST",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i128) -> (i128, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An instant given as IST wall time on 2026-11-28 (+ `day` days).
    fn ist(day: i128, h: i128, m: i128, s: i128) -> SystemTime {
        // 2026-11-28 00:00:00 IST = 2026-11-27 18:30:00 UTC = 1_795_804_200.
        from_unix(1_795_804_200 + day * DAY + h * 3600 + m * 60 + s).unwrap()
    }

    #[test]
    fn reference_instant_is_right() {
        assert_eq!(format_ist(ist(0, 0, 0, 0)), "2026-11-28 00:00:00 IST");
        assert_eq!(format_ist(UNIX_EPOCH), "1970-01-01 05:30:00 IST");
    }

    #[test]
    fn issued_before_cutoff_expires_same_day() {
        assert_eq!(expires_at(ist(0, 2, 30, 0)), ist(0, 3, 30, 0));
        assert_eq!(expires_at(ist(0, 3, 29, 59)), ist(0, 3, 30, 0));
    }

    #[test]
    fn issued_at_or_after_cutoff_expires_next_day() {
        assert_eq!(expires_at(ist(0, 3, 30, 0)), ist(1, 3, 30, 0));
        assert_eq!(expires_at(ist(0, 3, 30, 1)), ist(1, 3, 30, 0));
        assert_eq!(expires_at(ist(0, 9, 15, 0)), ist(1, 3, 30, 0));
        assert_eq!(expires_at(ist(0, 23, 59, 59)), ist(1, 3, 30, 0));
        assert_eq!(
            format_ist(expires_at(ist(0, 9, 15, 0))),
            "2026-11-29 03:30:00 IST"
        );
    }

    #[test]
    fn across_month_and_year_ends() {
        let dec31 = ist(33, 12, 0, 0);
        assert_eq!(format_ist(dec31), "2026-12-31 12:00:00 IST");
        assert_eq!(format_ist(expires_at(dec31)), "2027-01-01 03:30:00 IST");
        let feb28_2028 = from_unix(1_835_388_000).unwrap(); // 2028-02-28 22:00:00 UTC
        assert_eq!(format_ist(feb28_2028), "2028-02-29 03:30:00 IST");
    }

    #[test]
    fn is_expired_at_the_edges() {
        let issued = ist(0, 2, 30, 0);
        assert!(!is_expired(issued, ist(0, 3, 29, 59)));
        assert!(is_expired(issued, ist(0, 3, 30, 0)));
        assert!(is_expired(issued, ist(0, 3, 30, 1)));
    }

    #[test]
    fn extreme_instants_do_not_panic() {
        let far = UNIX_EPOCH + Duration::from_secs(i64::MAX as u64 - 1000);
        let e = expires_at(far);
        assert!(e >= far);
        assert!(is_expired(far, far + Duration::from_secs(1)) || e == far);
        let _ = format_ist(far);
        let _ = format_ist(e);
    }

    #[test]
    fn before_the_epoch_does_not_panic() {
        // 1969-12-31 23:59:58.5 UTC is 1970-01-01 05:29:58 IST.
        let t = UNIX_EPOCH - Duration::from_millis(1500);
        assert_eq!(format_ist(t), "1970-01-01 05:29:58 IST");
        assert_eq!(format_ist(expires_at(t)), "1970-01-02 03:30:00 IST");
    }
}
