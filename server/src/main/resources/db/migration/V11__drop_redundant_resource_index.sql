-- resource_project_type_updated (project_id, resource_type, last_updated desc) serves no query: every read of the
-- resource table by project, type and update time also asks for live rows ("not deleted"), which
-- resource_search_default (the same columns plus id, for live rows only) answers as well or better. Every write
-- still paid for keeping it: one btree insertion per resource version.
drop index if exists resource_project_type_updated;
