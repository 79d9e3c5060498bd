-- Benchmark data for bench/run.sh with BENCH_STORE=sqlite (the sqlite3 CLI on the database file,
-- after `crm migrate`): the rows of bench/generate.sql, value for value (the same users, contacts,
-- names, emails, companies and times), in the SQLite encoding of db/sqlite/0001_init.sql (times
-- as INTEGER Unix milliseconds, booleans 0/1). All set-based (generate_series of the sqlite3
-- CLI), in one transaction; the triggers of db/sqlite keep the rollup tables (user_counts) up to
-- date, so this file writes none of them. bench/run.sh runs ANALYZE afterwards.
-- Parameters (sqlite3 -cmd '.parameter set :users N'): :users, :contacts (both required).
.bail on
PRAGMA foreign_keys = ON;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144; -- 256 MiB, as the bench cluster's shared_buffers

BEGIN;

-- One write time for the users; contacts get distinct earlier times (one second apart, the
-- newest equal to it), so users.last_write_at is not behind any row (SPEC 6, write order).
CREATE TEMP TABLE bench_now AS
SELECT CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER) AS ts;

INSERT INTO users (email, email_key, username, username_key, password_hash, first_name,
                   last_name, email_verified, active, role, created_at, updated_at,
                   last_write_at)
SELECT 'user' || g.value || '@bench.example', 'user' || g.value || '@bench.example',
       'user' || g.value, 'user' || g.value, NULL, 'Bench', 'User ' || g.value, 1, 1, 'USER',
       t.ts, t.ts, t.ts
FROM generate_series(1, :users) AS g, bench_now AS t
ORDER BY g.value;

-- Contact n (n = 1..contacts) belongs to user i + 1, i = (n - 1) % users, as that user's k-th
-- contact, k = (n - 1) / users. Within one user, first names cycle through 26 values, last
-- names through 40 and companies through up to 100 of 250, so name sorts and company filters
-- see realistic duplicates and every user's data differs.
INSERT INTO contacts (user_id, first_name, first_name_key, last_name, last_name_key, email,
                      email_key, company, company_key, created_at, updated_at)
SELECT u.id, c.first_name, lower(c.first_name), c.last_name, lower(c.last_name),
       c.email, lower(c.email), c.company, lower(c.company), c.ts, c.ts
FROM (
    SELECT s.n, 'user' || (s.i + 1) AS username_key,
           json_extract('["Ann", "Ben", "Cara", "Dan", "Eve", "Finn", "Gail", "Hugo", "Iris",
                          "Jon", "Kim", "Liam", "Mia", "Noah", "Olga", "Paul", "Quinn", "Rosa",
                          "Sam", "Tara", "Uma", "Vic", "Wes", "Xena", "Yuri", "Zoe"]',
                        '$[' || (s.k % 26) || ']') AS first_name,
           json_extract('["Adams", "Baker", "Clark", "Davis", "Evans", "Fischer", "Garcia",
                          "Hall", "Ito", "Jones", "Khan", "Lopez", "Martin", "Nguyen", "Olsen",
                          "Patel", "Quist", "Rossi", "Smith", "Tanaka", "Ueda", "Vega", "Weber",
                          "Xu", "Young", "Zimmer", "Novak", "Moreau", "Silva", "Kowalski",
                          "Berg", "Costa", "Dubois", "Eriksen", "Fontaine", "Gruber", "Horvat",
                          "Ivanova", "Jensen", "Larsen"]',
                        '$[' || ((7 * s.k + s.i) % 40) || ']') AS last_name,
           'Contact' || s.n || '@Example.com' AS email,
           'Company ' || ((13 * s.k + s.i) % 250) AS company,
           s.ts - (:contacts - s.n) * 1000 AS ts
    FROM (SELECT g.value AS n, (g.value - 1) % :users AS i, (g.value - 1) / :users AS k, t.ts
          FROM generate_series(1, :contacts) AS g, bench_now AS t) AS s
) AS c
JOIN users AS u ON u.username_key = c.username_key
ORDER BY c.n;

DROP TABLE bench_now;
COMMIT;

SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM contacts) AS contacts;
