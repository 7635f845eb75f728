-- PostgreSQL's 0006 turns its JSON columns into jsonb; SQLite keeps JSON as text (its JSON
-- functions read text), so there is nothing to change here. Kept so both folders number alike.
SELECT 1;
