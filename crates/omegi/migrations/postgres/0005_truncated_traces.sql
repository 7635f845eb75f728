-- A trace assembled from only part of its spans (--max-spans-per-trace) or with more failures
-- than one trace may record says so here, in words; NULL when it was assembled whole.
ALTER TABLE traces ADD COLUMN truncated TEXT;
