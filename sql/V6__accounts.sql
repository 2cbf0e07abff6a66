-- Accounts have a life: an admin disables and re-enables them (a disabled account cannot log in
-- and its sessions end), passwords change, and the console shows when each user last logged in.
ALTER TABLE users ADD COLUMN disabled_at TEXT;
ALTER TABLE users ADD COLUMN last_login_at TEXT;
ALTER TABLE users ADD COLUMN password_changed_at TEXT;

-- Ending every session of one user (disable, password change or reset) finds them by user.
CREATE INDEX sessions_by_user ON sessions(user_id);
