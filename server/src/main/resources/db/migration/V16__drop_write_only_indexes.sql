-- Indexes that every write paid for and almost no query used. Every webhook writes two resource versions (the
-- Invoice and the run's AuditEvent), and each version's index entries are most of what PostgreSQL spends on it: in
-- pgbench, a batch of three run AuditEvents took 12-22% less backend CPU without the four indexes below.
--
-- resource_history_type (resource_type, seq desc) served only a super admin's type history, which names no project;
-- every project's type history reads resource_history_project_type, instance history and vread read
-- resource_history_instance. A super admin's type history now walks the primary key (seq) backwards.
drop index if exists resource_history_type;

-- The unique constraint on version_id: every lookup of a version also names its type and id (vread, and the
-- in-place correction of a just-created version), which resource_history_instance answers. Version ids are
-- UUIDv7 made by the server (VersionIds), so the constraint guarded nothing a client could send.
alter table resource_history drop constraint if exists resource_history_version_id_key;

-- The date B-trees from V2. Since V13 every date criterion is answered by the GiST index on the hashed scope and
-- the range (SearchSql.dateGroup always adds the range overlap), and a date sort reads a resource's own rows through
-- search_date_resource. Servers without btree_gist have only V4's range-only index and keep them.
do $$
begin
    if exists (select 1 from pg_extension where extname = 'btree_gist') then
        drop index if exists search_date_lookup;
        drop index if exists search_date_high;
    end if;
end
$$;
