-- Rate-limit buckets shared by every node (rate-limit-store=postgres), in the layout Bucket4j's PostgreSQL
-- integration reads and writes: the key (category, limit and client address), the serialized bucket state,
-- and when the bucket is full again (ms since the epoch), after which the row can be deleted.
create table rate_limit_bucket (
    id         text primary key,
    state      bytea,
    expires_at bigint
);

create index rate_limit_bucket_expires on rate_limit_bucket (expires_at);
