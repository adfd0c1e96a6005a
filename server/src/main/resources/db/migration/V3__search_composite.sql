-- Composite search parameters (Observation code-value-quantity, ...): each component's values are indexed
-- in the table of the component's type under the parameter code "<composite>$<n>", and "grp" numbers the
-- composite item they came from, so a search can require both components from the same item (the same
-- Observation.component), not one from each. Plain (non-composite) rows have no grp.
alter table search_token add column grp integer;
alter table search_string add column grp integer;
alter table search_reference add column grp integer;
alter table search_date add column grp integer;
alter table search_number add column grp integer;
alter table search_quantity add column grp integer;
alter table search_uri add column grp integer;
