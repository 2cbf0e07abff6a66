//! Who is calling: OTA API keys, user sessions and passwords, the rate limit, and the request
//! guards that turn credentials into proof of a role.

pub mod api_keys;
pub mod guards;
pub mod passwords;
pub mod rate_limit;
pub mod sessions;
