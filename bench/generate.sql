-- Benchmark data for bench/run.sh (PostgreSQL, after `crm migrate`): :users verified, active
-- users without a password, and :contacts contacts spread evenly over them, all set-based
-- (generate_series), then VACUUM ANALYZE. Folded `_key` columns are lower(): every generated
-- value is ASCII, for which the service's folding (SPEC 2.1) is lowercasing.
-- Variables (psql -v): users (default 1000), contacts (default 100000).
\set ON_ERROR_STOP on
\if :{?users}
\else
\set users 1000
\endif
\if :{?contacts}
\else
\set contacts 100000
\endif

BEGIN;

-- One write time for the users; contacts get distinct earlier times (one second apart, the
-- newest equal to it), so users.last_write_at is not behind any row (SPEC 6, write order).
CREATE TEMP TABLE bench_now ON COMMIT DROP AS SELECT date_trunc('milliseconds', now()) AS ts;

INSERT INTO users (email, email_key, username, username_key, password_hash, first_name,
                   last_name, email_verified, active, role, created_at, updated_at,
                   last_write_at)
SELECT 'user' || n || '@bench.example', 'user' || n || '@bench.example',
       'user' || n, 'user' || n, NULL, 'Bench', 'User ' || n, true, true, 'USER', t.ts, t.ts,
       t.ts
FROM generate_series(1, :users) AS g(n), bench_now AS t;

-- Contact n (n = 1..contacts) belongs to user i + 1, i = (n - 1) % users, as that user's k-th
-- contact, k = (n - 1) / users. Within one user, first names cycle through 26 values, last
-- names through 40 and companies through up to 100 of 250, so name sorts and company filters
-- see realistic duplicates and every user's data differs.
INSERT INTO contacts (user_id, first_name, first_name_key, last_name, last_name_key, email,
                      email_key, company, company_key, created_at, updated_at)
SELECT u.id, c.first_name, lower(c.first_name), c.last_name, lower(c.last_name),
       c.email, lower(c.email), c.company, lower(c.company), c.ts, c.ts
FROM (
    SELECT g.n, (g.n - 1) % :users AS i, (g.n - 1) / :users AS k, t.ts
    FROM generate_series(1, :contacts) AS g(n), bench_now AS t
) AS s
CROSS JOIN LATERAL (
    SELECT 'user' || (s.i + 1) AS username_key,
           (ARRAY['Ann', 'Ben', 'Cara', 'Dan', 'Eve', 'Finn', 'Gail', 'Hugo', 'Iris', 'Jon',
                  'Kim', 'Liam', 'Mia', 'Noah', 'Olga', 'Paul', 'Quinn', 'Rosa', 'Sam',
                  'Tara', 'Uma', 'Vic', 'Wes', 'Xena', 'Yuri', 'Zoe'])[1 + s.k % 26] AS first_name,
           (ARRAY['Adams', 'Baker', 'Clark', 'Davis', 'Evans', 'Fischer', 'Garcia', 'Hall',
                  'Ito', 'Jones', 'Khan', 'Lopez', 'Martin', 'Nguyen', 'Olsen', 'Patel',
                  'Quist', 'Rossi', 'Smith', 'Tanaka', 'Ueda', 'Vega', 'Weber', 'Xu', 'Young',
                  'Zimmer', 'Novak', 'Moreau', 'Silva', 'Kowalski', 'Berg', 'Costa', 'Dubois',
                  'Eriksen', 'Fontaine', 'Gruber', 'Horvat', 'Ivanova', 'Jensen',
                  'Larsen'])[1 + (7 * s.k + s.i) % 40] AS last_name,
           'Contact' || s.n || '@Example.com' AS email,
           'Company ' || ((13 * s.k + s.i) % 250) AS company,
           s.ts - make_interval(secs => :contacts - s.n) AS ts
) AS c
JOIN users AS u ON u.username_key = c.username_key;

COMMIT;

VACUUM ANALYZE users;
VACUUM ANALYZE contacts;

SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM contacts) AS contacts;
