//! The console in headless Chromium: the staff's screens, and the venue's day — the pier at 7 am
//! and the desk through the day.

mod accounts;
mod browser;
mod desk_day;
mod pier;
mod staff;
mod steps;
mod venue_day;
