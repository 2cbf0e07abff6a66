//! The console in headless Chromium: the staff's screens, and the venue's day at the pier.

mod browser;
mod staff;
mod venue_day;
