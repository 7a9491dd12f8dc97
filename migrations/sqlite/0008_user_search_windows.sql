-- PostgreSQL splits its search index into windows of ids here (see
-- ../postgres/0008_user_search_windows.sql). SQLite needs nothing: its FTS5
-- trigram table is keyed by user id and a search reads its matches in id
-- order already, stopping after a page. Kept so both folders hold the same
-- migrations.
SELECT 1;
