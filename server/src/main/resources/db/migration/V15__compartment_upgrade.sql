-- Work the server does once, in Java, after this migration: earlier versions stored meta.compartment as the client
-- sent it, and AccessPolicy compartment entries are enforced against it. From this version the server computes it
-- on every write; ResourceStore.upgradeCompartments() rewrites it in every stored row at the next start and then
-- removes the marker (an interrupted run starts over).
create table pending_upgrade (
    name text primary key
);
insert into pending_upgrade (name) values ('compartments');
