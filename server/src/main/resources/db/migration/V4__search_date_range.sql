-- Date searches are range overlaps ([low, high) against the searched range), which B-trees on low and high
-- answer badly: a one-day window over years of data scanned most rows (BENCHMARKS.md, 1M Invoices).
-- A GiST index on the range answers them directly. With btree_gist the project, type and parameter go into
-- the same index; PostgreSQL servers without that contrib module get a range-only index instead.
do $$
begin
    create extension if not exists btree_gist;
exception when others then
    raise notice 'btree_gist is not available (%): date ranges get a range-only index', sqlerrm;
end
$$;

do $$
begin
    if exists (select 1 from pg_extension where extname = 'btree_gist') then
        execute 'create index search_date_range on search_date using gist '
             || '(project_id, resource_type, param, tstzrange(low, high, ''[)''))';
    else
        execute 'create index search_date_range on search_date using gist (tstzrange(low, high, ''[)''))';
    end if;
end
$$;
