-- search_reference_target (project_id, target_type, target_id, param) served the two searches that start from the
-- referenced resource: _has and _revinclude. Both also know the referring type and the parameter, so
-- search_reference_lookup (project_id, resource_type, param, target_id, target_type) answers them with every one
-- of its columns bound: _revinclude names x.resource_type itself, and in _has it is equal to the referring
-- resource's type, which the search binds. Every reference row on every write paid one btree insertion for it
-- (three per bot run's AuditEvent).
drop index if exists search_reference_target;
