-- The store's ceiling for authenticated GET /contacts/{id} (bench/run.sh, pgbench -M prepared):
-- the statements the server sends per request, in its order, with its text and in one round
-- trip as it sends them (a pipeline: both statements, then one sync; src/store/pg/pg_exec.c,
-- pg_exec_pipeline), so the ratio server/ceiling is what the HTTP stack, JWT check, JSON and
-- pool cost on top of the store.
--   1. the per-request session check (src/store/pg/pg_sessions.c, auth_stmt), outside any
--      transaction, on a pooled connection;
--   2. the contact row with its tags (src/store/pg/pg_contacts.c, pg_contact_tags_stmt), read
--      for the user the token names; the server shows it only once 1. proved the session that user's
--      (src/domain/accounts_login.c, accounts_authenticate; pg_auth_lookup_contact).
-- Keep this file in step with those functions. Variables (pgbench -D): sid (the bench account's
-- session), uid (its user id), cid (the contact), ids ('{cid}'), now (Unix milliseconds).
\startpipeline
SELECT s.user_id, s.id, s.revoked_at IS NULL AND s.expires_at > ('epoch'::timestamptz + (:now)::bigint * interval '1 millisecond'), u.active, u.role, (date_part('epoch', s.created_at) * 1000)::bigint, b.status, COALESCE((date_part('epoch', b.current_period_end) * 1000)::bigint, 0), COALESCE((date_part('epoch', b.payment_failed_at) * 1000)::bigint, 0) FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN subscriptions b ON b.user_id = s.user_id WHERE s.id = (:sid)::bigint;
SELECT c.id, c.first_name, c.last_name, c.email, c.phone, c.address, c.company, c.job_role, c.first_name_key, c.last_name_key, c.birthday_year, c.birthday_month, c.birthday_day, c.custom_fields::text, (date_part('epoch', c.last_contacted) * 1000)::bigint AS last_contacted, (date_part('epoch', c.created_at) * 1000)::bigint AS created_at, (date_part('epoch', c.updated_at) * 1000)::bigint AS updated_at, t.id, t.name, t.name_key, ct.id FROM contacts c LEFT JOIN contact_tags ct ON ct.user_id = c.user_id AND ct.contact_id = c.id LEFT JOIN tags t ON t.user_id = ct.user_id AND t.id = ct.tag_id WHERE c.user_id = (:uid)::bigint AND c.id = (:cid)::bigint ORDER BY t.name_key, t.id;
\endpipeline
