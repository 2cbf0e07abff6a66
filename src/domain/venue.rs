//! The venue's clock. Time is stored in UTC; what "today" and a visit date mean comes from the
//! venue's time zone (the `timezone` setting, an IANA name such as `Asia/Hong_Kong`).

use time::{Date, OffsetDateTime, UtcOffset};

use crate::clock;
use crate::error::AppError;

#[derive(Clone)]
pub struct VenueClock {
    zone: jiff::tz::TimeZone,
    name: String,
}

impl std::fmt::Debug for VenueClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VenueClock({})", self.name)
    }
}

impl VenueClock {
    /// The clock of an IANA time zone; an unknown name is a configuration error.
    pub fn new(name: &str) -> Result<VenueClock, AppError> {
        let zone = jiff::tz::TimeZone::get(name).map_err(|_| {
            AppError::Config(format!(
                "timezone '{name}' is not an IANA time zone name (e.g. Europe/Lisbon, Asia/Hong_Kong, UTC)"
            ))
        })?;
        Ok(VenueClock {
            zone,
            name: name.to_owned(),
        })
    }

    /// The IANA name, as configured.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The venue's local date right now.
    pub fn today(&self) -> Date {
        self.date_of(clock::now())
    }

    /// The venue's local date at an instant.
    pub fn date_of(&self, t: OffsetDateTime) -> Date {
        t.to_offset(self.offset_at(t)).date()
    }

    /// The venue's UTC offset at an instant.
    pub fn offset_at(&self, t: OffsetDateTime) -> UtcOffset {
        let instant = jiff::Timestamp::from_second(t.unix_timestamp()).unwrap_or_default();
        let seconds = self.zone.to_offset(instant).seconds();
        UtcOffset::from_whole_seconds(seconds).unwrap_or(UtcOffset::UTC)
    }

    /// The instant a local date begins at the venue (local midnight, or the first moment of the
    /// day where a clock change skips midnight).
    pub fn start_of(&self, date: Date) -> OffsetDateTime {
        let civil = jiff::civil::date(date.year() as i16, date.month() as i8, date.day() as i8);
        let start = civil
            .to_zoned(self.zone.clone())
            .map(|z| z.timestamp().as_second())
            .unwrap_or_else(|_| date.midnight().assume_utc().unix_timestamp());
        OffsetDateTime::from_unix_timestamp(start).unwrap_or_else(|_| date.midnight().assume_utc())
    }

    /// The venue's wall clock at `t`: `2026-12-02 09:12`.
    pub fn wall_clock(&self, t: OffsetDateTime) -> String {
        let local = t.to_offset(self.offset_at(t));
        format!(
            "{} {:02}:{:02}",
            clock::date_to_db(local.date()),
            local.hour(),
            local.minute()
        )
    }

    /// When `t` was, in the venue's words: `09:12` today, `2026-12-01 09:12` on another day.
    pub fn when(&self, t: OffsetDateTime) -> String {
        let full = self.wall_clock(t);
        if self.date_of(t) == self.today() {
            full[11..].to_owned()
        } else {
            full
        }
    }

    /// The venue's UTC offset on a local date (at the start of that day).
    pub fn offset_on(&self, date: Date) -> UtcOffset {
        self.offset_at(self.start_of(date))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn the_local_day_follows_the_time_zone() {
        let hk = VenueClock::new("Asia/Hong_Kong").unwrap();
        // 17:00 UTC on 1 December is 01:00 on 2 December in Hong Kong.
        let t = datetime!(2026-12-01 17:00 UTC);
        assert_eq!(hk.date_of(t), date!(2026 - 12 - 02));
        assert_eq!(
            VenueClock::new("UTC").unwrap().date_of(t),
            date!(2026 - 12 - 01)
        );
        assert_eq!(
            hk.start_of(date!(2026 - 12 - 02)),
            datetime!(2026-12-01 16:00 UTC)
        );
        assert_eq!(hk.offset_on(date!(2026 - 12 - 02)).whole_hours(), 8);
    }

    #[test]
    fn daylight_saving_moves_the_offset() {
        let lisbon = VenueClock::new("Europe/Lisbon").unwrap();
        assert_eq!(lisbon.offset_on(date!(2026 - 01 - 15)).whole_hours(), 0);
        assert_eq!(lisbon.offset_on(date!(2026 - 07 - 15)).whole_hours(), 1);
        assert!(VenueClock::new("Mars/Olympus_Mons").is_err());
    }
}
