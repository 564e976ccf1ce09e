-- EditDB schema, version 3: users and their roles (see io.editdb.store.Users).
--
--   ADMIN    creates layers and users, and may do everything an editor may
--   EDITOR   inserts, rolls back and restores edits
--   AUDITOR  reads and routes only
--
-- Passwords are never stored. password_hash is either 'none' (the user has an empty password,
-- which protects nothing to hash) or 'pbkdf2-sha256$<iterations>$<salt>$<hash>' with the salt
-- (16 random bytes) and the 32-byte PBKDF2-HMAC-SHA256 derived key in base64. The iteration
-- count is part of each hash, so raising it later keeps old hashes valid.
-- The first user to connect to a store without users becomes its administrator. Rows change
-- only through CREATE USER, ALTER USER and DROP USER; the driver refuses other writes, and
-- reads by anyone but an administrator.
CREATE TABLE users (
  name          VARCHAR(128) PRIMARY KEY,
  role          VARCHAR(12) NOT NULL,
  password_hash VARCHAR(256) NOT NULL,
  created_at    TIMESTAMP WITH TIME ZONE NOT NULL,
  created_by    VARCHAR(256) NOT NULL,
  changed_at    TIMESTAMP WITH TIME ZONE,
  changed_by    VARCHAR(256),
  CONSTRAINT users_role_ck CHECK (role IN ('ADMIN', 'EDITOR', 'AUDITOR'))
);
