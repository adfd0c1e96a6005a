-- Search index: one table per search parameter type, one row per extracted value of the CURRENT version
-- of a resource (rows are replaced on every write and removed on delete, in the writing transaction).
-- Lookups lead with project, type and parameter, so a search touches only its own project's rows.

create table search_token (
    project_id    text not null,
    resource_type text not null,
    resource_id   text not null,
    param         text not null,
    system        text,
    code          text,
    text          text,      -- display / CodeableConcept.text, normalised, for :text
    type_system   text,      -- Identifier.type, for :of-type
    type_code     text
);
create index search_token_lookup on search_token (project_id, resource_type, param, code, system);
create index search_token_resource on search_token (resource_type, resource_id);

create table search_string (
    project_id    text not null,
    resource_type text not null,
    resource_id   text not null,
    param         text not null,
    value         text not null, -- lower case, accents removed: the default (prefix) and :contains match
    exact         text not null  -- as written: the :exact match
);
create index search_string_lookup on search_string (project_id, resource_type, param, value text_pattern_ops);
create index search_string_resource on search_string (resource_type, resource_id);

create table search_reference (
    project_id    text not null,
    resource_type text not null,
    resource_id   text not null,
    param         text not null,
    target_type   text,
    target_id     text,
    url           text not null  -- the reference as written
);
create index search_reference_lookup on search_reference (project_id, resource_type, param, target_id, target_type);
create index search_reference_url on search_reference (project_id, resource_type, param, url);
create index search_reference_target on search_reference (project_id, target_type, target_id, param);
create index search_reference_resource on search_reference (resource_type, resource_id);

create table search_date (
    project_id    text not null,
    resource_type text not null,
    resource_id   text not null,
    param         text not null,
    low           timestamptz not null, -- inclusive; -infinity when open
    high          timestamptz not null  -- exclusive; infinity when open
);
create index search_date_lookup on search_date (project_id, resource_type, param, low, high);
create index search_date_high on search_date (project_id, resource_type, param, high);
create index search_date_resource on search_date (resource_type, resource_id);

create table search_number (
    project_id    text not null,
    resource_type text not null,
    resource_id   text not null,
    param         text not null,
    value         numeric not null
);
create index search_number_lookup on search_number (project_id, resource_type, param, value);
create index search_number_resource on search_number (resource_type, resource_id);

create table search_quantity (
    project_id    text not null,
    resource_type text not null,
    resource_id   text not null,
    param         text not null,
    value         numeric not null,
    system        text,
    code          text
);
create index search_quantity_lookup on search_quantity (project_id, resource_type, param, value);
create index search_quantity_resource on search_quantity (resource_type, resource_id);

create table search_uri (
    project_id    text not null,
    resource_type text not null,
    resource_id   text not null,
    param         text not null,
    value         text not null
);
create index search_uri_lookup on search_uri (project_id, resource_type, param, value text_pattern_ops);
create index search_uri_resource on search_uri (resource_type, resource_id);

-- Search results are ordered by last update by default, newest first, with the id as a stable tiebreaker.
create index resource_search_default on resource (project_id, resource_type, last_updated desc, id) where not deleted;
