-- Benchmark data for one heavy account with BENCH_STORE=sqlite (bench/run.sh, the sqlite3 CLI on
-- the database file, after bench/generate_sqlite.sql): the rows of bench/generate_heavy.sql in
-- the SQLite encoding of db/sqlite/0001_init.sql (times as INTEGER Unix milliseconds). The user
-- whose email_key is :email (registered through the API by run.sh) gets :contacts contacts,
-- :interactions interactions, 20 tags with about 1.3 links per contact, :notes notes spread
-- evenly over the contacts, and the contacts' search words (search_terms, SPEC 9.2), all
-- set-based (generate_series of the sqlite3 CLI) in one transaction.
--
-- Shape, as in generate_heavy.sql: a tenth of the contacts (every contact k with k % 10 = 0) is
-- never contacted; the interactions of the others are skewed (contact index =
-- floor(u^2 * M) for a uniform u over a shuffled order, so a few contacts have hundreds and many
-- have a handful), spread uniformly over the last 730 days with six types. The random values
-- come from the CLI's seeded PRNG, so every run has the same data (not the same draws as
-- PostgreSQL's setseed, the same distribution).
--
-- The triggers of db/sqlite (0003, 0005, 0006) keep the rollups up to date on insert
-- (contacts.interaction_count, interaction_days, user_counts, tags.contact_count,
-- tag_interaction_days, contact_tags.last_contacted), so this file writes none of them; as in
-- generate_heavy.sql, lastContacted is set before the links are inserted, which take their copy
-- of it from their contact. bench/run.sh runs ANALYZE afterwards.
-- Parameters (sqlite3 -cmd '.parameter set :email ...'): :email, :contacts, :interactions,
-- :notes (all required).
.bail on
.testctrl prng_seed 42
PRAGMA foreign_keys = ON;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144; -- 256 MiB, as the bench cluster's shared_buffers

BEGIN;

CREATE TEMP TABLE heavy AS
SELECT u.id AS user_id,
       CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER) AS ts
FROM users AS u WHERE u.email_key = lower(:email);
CREATE TEMP TABLE heavy_check (
    n INTEGER CONSTRAINT "generate_heavy_sqlite.sql: no user with the given email" CHECK (n = 1)
);
INSERT INTO heavy_check SELECT count(*) FROM heavy;

-- Contacts k = 1..contacts, created one second apart before the write time.
INSERT INTO contacts (user_id, first_name, first_name_key, last_name, last_name_key, email,
                      email_key, company, company_key, job_role, created_at, updated_at)
SELECT h.user_id, c.first_name, lower(c.first_name), c.last_name, lower(c.last_name),
       c.email, lower(c.email), c.company, lower(c.company), c.job_role, c.ts, c.ts
FROM heavy AS h, (
    SELECT g.value AS k,
           json_extract('["Ann", "Ben", "Cara", "Dan", "Eve", "Finn", "Gail", "Hugo", "Iris",
                          "Jon", "Kim", "Liam", "Mia", "Noah", "Olga", "Paul", "Quinn", "Rosa",
                          "Sam", "Tara", "Uma", "Vic", "Wes", "Xena", "Yuri", "Zoe"]',
                        '$[' || (g.value % 26) || ']') AS first_name,
           'Heavy ' || g.value AS last_name,
           'heavy' || g.value || '@example.com' AS email,
           'Company ' || (g.value % 500) AS company,
           json_extract('["CTO", "Engineer", "Designer", "Founder", "Sales"]',
                        '$[' || (g.value % 5) || ']') AS job_role,
           h0.ts - (:contacts - g.value + 1) * 1000 AS ts
    FROM generate_series(1, :contacts) AS g, heavy AS h0
) AS c
ORDER BY c.k;

-- Contact k's id (its email is unique within the account), looked up in contacts_user_email_uq
-- (a partial index: hence the IS NOT NULL) for each k in turn (CROSS JOIN keeps that order).
CREATE TEMP TABLE heavy_contacts (k INTEGER PRIMARY KEY, id INTEGER NOT NULL);
INSERT INTO heavy_contacts (k, id)
SELECT g.value, c.id
FROM heavy AS h CROSS JOIN generate_series(1, :contacts) AS g
CROSS JOIN contacts AS c
WHERE c.user_id = h.user_id AND c.email_key = 'heavy' || g.value || '@example.com'
  AND c.email_key IS NOT NULL;

-- The contacts that get interactions (k % 10 <> 0), numbered 0..m-1 in a shuffled order.
CREATE TEMP TABLE heavy_targets (j INTEGER PRIMARY KEY, id INTEGER NOT NULL);
INSERT INTO heavy_targets (j, id)
SELECT row_number() OVER (ORDER BY random()) - 1, id FROM heavy_contacts WHERE k % 10 <> 0;

-- The random draws per interaction first, each random() once per row: u uniform in [0, 1) (53
-- random bits) for the target, and the age in seconds, uniform over 730 days.
CREATE TEMP TABLE heavy_draws (n INTEGER PRIMARY KEY, u REAL NOT NULL, ago INTEGER NOT NULL);
INSERT INTO heavy_draws (n, u, ago)
SELECT g.value, (random() & 9007199254740991) / 9007199254740992.0,
       CAST((random() & 9007199254740991) / 9007199254740992.0 * 730 * 86400 AS INTEGER)
FROM generate_series(1, :interactions) AS g;

INSERT INTO interactions (user_id, contact_id, type, occurred_at, notes, duration_minutes,
                          created_at, updated_at)
SELECT h.user_id, t.id,
       json_extract('["call", "email", "meeting", "message", "coffee", "video"]',
                    '$[' || ((r.n * 7) % 6) || ']'),
       h.ts - r.ago * 1000,
       CASE WHEN r.n % 4 = 0 THEN 'bench note ' || r.n END,
       CASE WHEN r.n % 3 = 0 THEN r.n % 120 END,
       h.ts, h.ts
FROM heavy_draws AS r
JOIN heavy_targets AS t ON t.j = CAST(r.u * r.u * (SELECT count(*) FROM heavy_targets) AS INTEGER)
CROSS JOIN heavy AS h
ORDER BY r.n;

-- The derived value of SPEC 6: lastContacted = the latest occurredAt. Before the links are
-- written, which take their copy of it from their contact (0006_tag_insight_rollups).
UPDATE contacts SET last_contacted = x.lc
FROM (SELECT i.contact_id, max(i.occurred_at) AS lc FROM interactions AS i, heavy AS h
      WHERE i.user_id = h.user_id GROUP BY i.contact_id) AS x, heavy AS h
WHERE contacts.user_id = h.user_id AND contacts.id = x.contact_id;

-- 20 tags; contact k carries tag k % 20 and, when k % 3 = 0, tag (7k + 3) % 20 too.
INSERT INTO tags (user_id, name, name_key, created_at, updated_at)
SELECT h.user_id, 'Tag ' || g.value, 'tag ' || g.value, h.ts, h.ts
FROM heavy AS h, generate_series(0, 19) AS g
ORDER BY g.value;
CREATE TEMP TABLE heavy_tags (i INTEGER PRIMARY KEY, id INTEGER NOT NULL);
INSERT INTO heavy_tags (i, id)
SELECT CAST(substr(t.name_key, 5) AS INTEGER), t.id
FROM tags AS t, heavy AS h WHERE t.user_id = h.user_id;

INSERT INTO contact_tags (user_id, contact_id, tag_id, created_at)
SELECT DISTINCT h.user_id, c.id, t.id, h.ts
FROM heavy AS h, heavy_contacts AS c
JOIN heavy_tags AS t ON t.i = c.k % 20 OR (c.k % 3 = 0 AND t.i = (7 * c.k + 3) % 20)
ORDER BY c.id, t.id;

-- Note n (n = 1..notes) belongs to contact k = 1 + (n - 1) % contacts: two each by default.
INSERT INTO notes (user_id, contact_id, title, title_key, content, created_at, updated_at)
SELECT h.user_id, c.id, 'Note ' || g.value, 'note ' || g.value,
       'Heavy bench note for contact ' || c.k, h.ts, h.ts
FROM heavy AS h, generate_series(1, :notes) AS g
JOIN heavy_contacts AS c ON c.k = 1 + (g.value - 1) % :contacts
ORDER BY g.value;

-- The search words the service would store (SPEC 9.2, src/domain/search.c), the same words as
-- generate_heavy.sql's regexp_split_to_table(lower(...), '[^a-z0-9]+'): the words of the first
-- and last name, email, company and job role and of the notes' title and content. Every
-- generated value is ASCII made of letters, digits, spaces, '@' and '.', so after lower() and
-- '@' and '.' turned into spaces a word is a run between spaces (heavy_words' CHECK fails the
-- run if another character ever appears); no heavy contact has a phone.
CREATE TEMP TABLE heavy_words (
    contact_id INTEGER NOT NULL,
    term TEXT NOT NULL CONSTRAINT "a search word must be a run of [a-z0-9]"
        CHECK (term <> '' AND term NOT GLOB '*[^a-z0-9]*')
);
WITH RECURSIVE src (contact_id, txt) AS (
    SELECT c.id, c.first_name || ' ' || coalesce(c.last_name, '') || ' ' ||
                 coalesce(c.email, '') || ' ' || coalesce(c.company, '') || ' ' ||
                 coalesce(c.job_role, '')
    FROM contacts AS c, heavy AS h0
    WHERE c.user_id = h0.user_id
    UNION ALL
    SELECT n.contact_id, n.title || ' ' || n.content
    FROM notes AS n, heavy AS h1
    WHERE n.user_id = h1.user_id
), split (contact_id, word, rest) AS (
    SELECT contact_id, '', replace(replace(lower(txt), '@', ' '), '.', ' ') || ' ' FROM src
    UNION ALL
    SELECT contact_id, substr(rest, 1, instr(rest, ' ') - 1), substr(rest, instr(rest, ' ') + 1)
    FROM split WHERE rest <> ''
)
INSERT INTO heavy_words (contact_id, term)
SELECT DISTINCT contact_id, word FROM split WHERE word <> '';

INSERT INTO search_terms (user_id, contact_id, term)
SELECT h.user_id, w.contact_id, w.term
FROM heavy AS h, heavy_words AS w
ORDER BY w.term, w.contact_id;

UPDATE users SET last_write_at = (SELECT ts FROM heavy) WHERE id = (SELECT user_id FROM heavy);

DROP TABLE heavy_words;
DROP TABLE heavy_tags;
DROP TABLE heavy_draws;
DROP TABLE heavy_targets;
DROP TABLE heavy_contacts;
DROP TABLE heavy_check;
COMMIT;

SELECT (SELECT count(*) FROM contacts AS c JOIN users AS u ON u.id = c.user_id
        WHERE u.email_key = lower(:email)) AS heavy_contacts,
       (SELECT count(*) FROM interactions AS i JOIN users AS u ON u.id = i.user_id
        WHERE u.email_key = lower(:email)) AS heavy_interactions,
       (SELECT count(*) FROM notes AS n JOIN users AS u ON u.id = n.user_id
        WHERE u.email_key = lower(:email)) AS heavy_notes,
       (SELECT count(*) FROM search_terms AS s JOIN users AS u ON u.id = s.user_id
        WHERE u.email_key = lower(:email)) AS heavy_search_terms;
DROP TABLE heavy;
