-- What a scan or index build costs after the table was emptied earlier in the same transaction
-- (rules/emptied.py): DELETE without WHERE versus TRUNCATE, 2,000,000 rows. Run in a scratch database:
--   psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE bench_emptied'
--   psql -h 127.0.0.1 -U postgres -d bench_emptied -q -f scripts/bench_emptied.sql
--   psql -h 127.0.0.1 -U postgres -c 'DROP DATABASE bench_emptied'
\timing on
\set ON_ERROR_STOP 1
DROP TABLE IF EXISTS t;
DROP TABLE IF EXISTS p;
CREATE TABLE p (id int PRIMARY KEY);
INSERT INTO p SELECT g FROM generate_series(1, 2000000) g;
CREATE TABLE t (id serial PRIMARY KEY, x int, y text);
INSERT INTO t (x, y) SELECT g, 'v' || g FROM generate_series(1, 2000000) g;
VACUUM ANALYZE t;
VACUUM ANALYZE p;
\echo === A: the rows alive: SET NOT NULL, ADD UNIQUE, ADD CHECK, ADD FOREIGN KEY, CREATE INDEX
BEGIN;
ALTER TABLE t ALTER COLUMN x SET NOT NULL;
ALTER TABLE t ADD CONSTRAINT t_y_key UNIQUE (y);
ALTER TABLE t ADD CONSTRAINT t_x_ck CHECK (x > 0);
ALTER TABLE t ADD CONSTRAINT t_x_fk FOREIGN KEY (x) REFERENCES p (id);
CREATE INDEX t_x_ix ON t (x);
ROLLBACK;
\echo === B: DELETE FROM t, then the same (and ADD COLUMN NOT NULL) in one transaction
BEGIN;
DELETE FROM t;
ALTER TABLE t ALTER COLUMN x SET NOT NULL;
ALTER TABLE t ADD CONSTRAINT t_y_key UNIQUE (y);
ALTER TABLE t ADD CONSTRAINT t_x_ck CHECK (x > 0);
ALTER TABLE t ADD CONSTRAINT t_x_fk FOREIGN KEY (x) REFERENCES p (id);
CREATE INDEX t_x_ix ON t (x);
ALTER TABLE t ADD COLUMN z int NOT NULL;
SELECT pg_relation_size('t') AS heap_bytes, pg_relation_size('t_y_key') AS unique_index_bytes;
ROLLBACK;
\echo === C: TRUNCATE t, then the same in one transaction
BEGIN;
TRUNCATE t;
ALTER TABLE t ALTER COLUMN x SET NOT NULL;
ALTER TABLE t ADD CONSTRAINT t_y_key UNIQUE (y);
ALTER TABLE t ADD CONSTRAINT t_x_ck CHECK (x > 0);
ALTER TABLE t ADD CONSTRAINT t_x_fk FOREIGN KEY (x) REFERENCES p (id);
CREATE INDEX t_x_ix ON t (x);
ALTER TABLE t ADD COLUMN z int NOT NULL;
SELECT pg_relation_size('t') AS heap_bytes, pg_relation_size('t_y_key') AS unique_index_bytes;
ROLLBACK;
