-- The service map summed per minute (docs/benchmarks.md, issue 14): the calls between services
-- and each service's traffic, added up over the traces that started in the minute, instead of
-- seven rows for every trace. Saving an assembly adds the trace's part; when a late span has a
-- trace assembled again, the part added before is taken away first. That part is kept on the
-- trace's row (`map_part`), which also tells which traces took a call or a service.
CREATE TABLE map_calls (
    project_id  BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    bucket      BIGINT NOT NULL,
    caller      TEXT NOT NULL,
    callee      TEXT NOT NULL,
    -- The histogram bin the calls' durations fell in, named by its lowest duration in µs
    -- (`model::duration_bin`; rows moved here from before this table name exact durations);
    -- -1 for calls whose duration was not kept (over 256 calls of one edge in a trace, before).
    duration_us BIGINT NOT NULL,
    calls       BIGINT NOT NULL,
    errors      BIGINT NOT NULL,
    PRIMARY KEY (project_id, bucket, caller, callee, duration_us)
) WITHOUT ROWID;

CREATE TABLE map_services (
    project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    bucket     BIGINT NOT NULL,
    service    TEXT NOT NULL,
    spans      BIGINT NOT NULL,
    requests   BIGINT NOT NULL,
    errors     BIGINT NOT NULL,
    PRIMARY KEY (project_id, bucket, service)
) WITHOUT ROWID;

-- {"b": minute bucket, "e": [[caller, callee, calls, errors, [[bin, calls, errors], ...]], ...],
--  "s": [[service, spans, requests, errors], ...]}
ALTER TABLE traces ADD COLUMN map_part TEXT;

UPDATE traces SET map_part = json_object(
    'b', m.bucket,
    'e', json((SELECT json_group_array(json_array(
                  e.caller, e.callee, e.calls, e.errors,
                  json((SELECT json_group_array(json_array(d.value, 1, 0))
                        FROM json_each(e.durations_us) AS d))))
               FROM trace_edges e
               WHERE e.project_id = traces.project_id AND e.trace_id = traces.trace_id)),
    's', json(m.services))
FROM (SELECT project_id, trace_id, MIN(bucket) AS bucket,
             json_group_array(json_array(service, spans, requests, errors)) AS services
      FROM trace_services GROUP BY project_id, trace_id) AS m
WHERE traces.project_id = m.project_id AND traces.trace_id = m.trace_id;

INSERT INTO map_services (project_id, bucket, service, spans, requests, errors)
SELECT project_id, bucket, service, SUM(spans), SUM(requests), SUM(errors)
FROM trace_services GROUP BY project_id, bucket, service;

INSERT INTO map_calls (project_id, bucket, caller, callee, duration_us, calls, errors)
SELECT project_id, bucket, caller, callee, duration_us, SUM(calls), SUM(errors) FROM (
    SELECT e.project_id, e.bucket, e.caller, e.callee, CAST(d.value AS BIGINT) AS duration_us,
           1 AS calls, 0 AS errors
    FROM trace_edges e, json_each(e.durations_us) AS d
    UNION ALL
    SELECT project_id, bucket, caller, callee, -1, calls - json_array_length(durations_us), errors
    FROM trace_edges
) AS c
GROUP BY project_id, bucket, caller, callee, duration_us
HAVING SUM(calls) <> 0 OR SUM(errors) <> 0;

DROP TABLE trace_edges;
DROP TABLE trace_services;
