-- Every resource lives in two places: its current version in "resource" (one row per type and id,
-- kept for deleted resources so that reads answer 410), and every version ever written in
-- "resource_history". Both are written in the same transaction.
create table resource (
    resource_type text        not null,
    id            text        not null,
    project_id    text        not null,
    version_id    uuid        not null,
    last_updated  timestamptz not null,
    deleted       boolean     not null default false,
    content       text        not null,
    primary key (resource_type, id)
);

create index resource_project_type_updated on resource (project_id, resource_type, last_updated desc);

create table resource_history (
    seq            bigint      generated always as identity primary key,
    version_id     uuid        not null unique,
    resource_type  text        not null,
    id             text        not null,
    project_id     text        not null,
    last_updated   timestamptz not null,
    deleted        boolean     not null,
    request_method text        not null check (request_method in ('POST', 'PUT', 'PATCH', 'DELETE')),
    content        text        not null
);

-- seq orders versions exactly, even when two share a millisecond.
create index resource_history_instance on resource_history (resource_type, id, seq desc);
create index resource_history_project_type on resource_history (project_id, resource_type, seq desc);
create index resource_history_type on resource_history (resource_type, seq desc);

-- Authentication looks up the membership of a client by its user reference on every request.
create index resource_membership_user on resource (((content::jsonb) -> 'user' ->> 'reference'))
    where resource_type = 'ProjectMembership';
