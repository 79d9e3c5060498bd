-- Benchmark data for one heavy account (bench/run.sh, PostgreSQL, after bench/generate.sql): the
-- user whose email_key is :email (registered through the API by run.sh) gets :contacts contacts,
-- :interactions interactions, 20 tags with about 1.3 links per contact, :notes notes spread
-- evenly over the contacts, and the contacts' search words (search_terms, SPEC 9.2), all
-- set-based (generate_series), then the derived lastContacted (SPEC 6) and VACUUM ANALYZE. The
-- insights routes (SPEC 11) and the heavy rows of `make bench` (search, tag filter, export) are
-- measured on this account: 100,000 contacts, 1,000,000 interactions and 200,000 notes by
-- default.
--
-- Shape: a tenth of the contacts (every contact k with k % 10 = 0) is never contacted; the
-- interactions of the others are skewed (contact index = floor(n^2 / N^2 * M) over a shuffled
-- order, so a few contacts have hundreds and many have a handful), spread uniformly over the
-- last 730 days with six types. Random values come from setseed, so every run has the same data.
-- Variables (psql -v): email (required), contacts (default 100000), interactions (1000000),
-- notes (200000).
\set ON_ERROR_STOP on
\if :{?contacts}
\else
\set contacts 100000
\endif
\if :{?interactions}
\else
\set interactions 1000000
\endif
\if :{?notes}
\else
\set notes 200000
\endif

BEGIN;
SELECT setseed(0.42);

CREATE TEMP TABLE heavy ON COMMIT DROP AS
SELECT u.id AS user_id, date_trunc('milliseconds', now()) AS ts
FROM users AS u WHERE u.email_key = lower(:'email');
DO $$ BEGIN
    IF (SELECT count(*) FROM heavy) <> 1 THEN
        RAISE EXCEPTION 'generate_heavy.sql: no user with the given email';
    END IF;
END $$;

-- Contacts k = 1..contacts, created one second apart before the write time.
CREATE TEMP TABLE heavy_contacts ON COMMIT DROP AS
WITH ins AS (
    INSERT INTO contacts (user_id, first_name, first_name_key, last_name, last_name_key, email,
                          email_key, company, company_key, job_role, created_at, updated_at)
    SELECT h.user_id, c.first_name, lower(c.first_name), c.last_name, lower(c.last_name),
           c.email, lower(c.email), c.company, lower(c.company), c.job_role, c.ts, c.ts
    FROM heavy AS h, generate_series(1, :contacts) AS g(k)
    CROSS JOIN LATERAL (
        SELECT (ARRAY['Ann', 'Ben', 'Cara', 'Dan', 'Eve', 'Finn', 'Gail', 'Hugo', 'Iris', 'Jon',
                      'Kim', 'Liam', 'Mia', 'Noah', 'Olga', 'Paul', 'Quinn', 'Rosa', 'Sam',
                      'Tara', 'Uma', 'Vic', 'Wes', 'Xena', 'Yuri', 'Zoe'])[1 + g.k % 26] AS first_name,
               'Heavy ' || g.k AS last_name,
               'heavy' || g.k || '@example.com' AS email,
               'Company ' || (g.k % 500) AS company,
               (ARRAY['CTO', 'Engineer', 'Designer', 'Founder', 'Sales'])[1 + g.k % 5] AS job_role,
               h.ts - make_interval(secs => :contacts - g.k + 1) AS ts
    ) AS c
    RETURNING id
)
SELECT id, row_number() OVER (ORDER BY id) AS k FROM ins;
CREATE INDEX ON heavy_contacts (k);

-- The contacts that get interactions (k % 10 <> 0), numbered 0..m-1 in a shuffled order.
CREATE TEMP TABLE heavy_targets ON COMMIT DROP AS
SELECT id, (row_number() OVER (ORDER BY random()) - 1) AS j
FROM heavy_contacts WHERE k % 10 <> 0;
CREATE INDEX ON heavy_targets (j);
SELECT count(*) AS m FROM heavy_targets \gset

-- The random target index and time are drawn per interaction first (a volatile expression in
-- a join condition would be evaluated per pair), then joined to their contact.
INSERT INTO interactions (user_id, contact_id, type, occurred_at, notes, duration_minutes,
                          created_at, updated_at)
SELECT h.user_id, t.id,
       (ARRAY['call', 'email', 'meeting', 'message', 'coffee', 'video'])[1 + (r.n * 7) % 6],
       h.ts - make_interval(secs => r.ago),
       CASE WHEN r.n % 4 = 0 THEN 'bench note ' || r.n END,
       CASE WHEN r.n % 3 = 0 THEN r.n % 120 END,
       h.ts, h.ts
FROM (SELECT g.n, floor(power(random(), 2) * :m)::bigint AS j,
             floor(random() * 730 * 86400)::int AS ago
      FROM generate_series(1, :interactions) AS g(n)) AS r
JOIN heavy_targets AS t ON t.j = r.j
CROSS JOIN heavy AS h;

-- The derived value of SPEC 6: lastContacted = the latest occurredAt. Before the links are
-- written, which take their copy of it from their contact (0006_tag_insight_rollups).
UPDATE contacts AS c SET last_contacted = x.lc
FROM (SELECT contact_id, max(occurred_at) AS lc FROM interactions AS i, heavy AS h
      WHERE i.user_id = h.user_id GROUP BY contact_id) AS x, heavy AS h
WHERE c.user_id = h.user_id AND c.id = x.contact_id;

-- 20 tags; contact k carries tag k % 20 and, when k % 3 = 0, tag (7k + 3) % 20 too.
CREATE TEMP TABLE heavy_tags ON COMMIT DROP AS
WITH ins AS (
    INSERT INTO tags (user_id, name, name_key, created_at, updated_at)
    SELECT h.user_id, 'Tag ' || g.i, 'tag ' || g.i, h.ts, h.ts
    FROM heavy AS h, generate_series(0, 19) AS g(i)
    RETURNING id, name_key
)
SELECT id, substr(name_key, 5)::int AS i FROM ins;

INSERT INTO contact_tags (user_id, contact_id, tag_id, created_at)
SELECT DISTINCT h.user_id, c.id, t.id, h.ts
FROM heavy AS h, heavy_contacts AS c
JOIN heavy_tags AS t ON t.i = c.k % 20 OR (c.k % 3 = 0 AND t.i = (7 * c.k + 3) % 20);

-- Note n (n = 1..notes) belongs to contact k = 1 + (n - 1) % contacts: two each by default.
INSERT INTO notes (user_id, contact_id, title, title_key, content, created_at, updated_at)
SELECT h.user_id, c.id, 'Note ' || g.n, 'note ' || g.n, 'Heavy bench note for contact ' || c.k,
       h.ts, h.ts
FROM heavy AS h, generate_series(1, :notes) AS g(n)
JOIN heavy_contacts AS c ON c.k = 1 + (g.n - 1) % :contacts;

-- The search words the service would store (SPEC 9.2, src/domain/search.c): the words of the
-- first and last name, email, company and job role and of the notes' title and content. Every
-- generated value is ASCII, for which folding is lowercasing and a word is a run of [a-z0-9]
-- (no word reaches SEARCH_WORD_MAX_CPS); no heavy contact has a phone.
INSERT INTO search_terms (user_id, contact_id, term)
SELECT DISTINCT h.user_id, w.contact_id, w.term
FROM heavy AS h, (
    SELECT x.id AS contact_id, regexp_split_to_table(lower(x.txt), '[^a-z0-9]+') AS term
    FROM (SELECT c.id, concat_ws(' ', c.first_name, c.last_name, c.email, c.company,
                                 c.job_role) AS txt
          FROM contacts AS c, heavy AS h0
          WHERE c.user_id = h0.user_id
          UNION ALL
          SELECT n.contact_id, n.title || ' ' || n.content
          FROM notes AS n, heavy AS h1
          WHERE n.user_id = h1.user_id) AS x
) AS w
WHERE w.term <> '';

UPDATE users AS u SET last_write_at = h.ts FROM heavy AS h WHERE u.id = h.user_id;

COMMIT;

VACUUM ANALYZE contacts;
VACUUM ANALYZE interactions;
VACUUM ANALYZE tags;
VACUUM ANALYZE contact_tags;
VACUUM ANALYZE notes;
VACUUM ANALYZE search_terms;

SELECT (SELECT count(*) FROM contacts AS c JOIN users AS u ON u.id = c.user_id
        WHERE u.email_key = lower(:'email')) AS heavy_contacts,
       (SELECT count(*) FROM interactions AS i JOIN users AS u ON u.id = i.user_id
        WHERE u.email_key = lower(:'email')) AS heavy_interactions,
       (SELECT count(*) FROM notes AS n JOIN users AS u ON u.id = n.user_id
        WHERE u.email_key = lower(:'email')) AS heavy_notes,
       (SELECT count(*) FROM search_terms AS s JOIN users AS u ON u.id = s.user_id
        WHERE u.email_key = lower(:'email')) AS heavy_search_terms;
