"""Reverse ETL: lead scores and segments from the warehouse into HubSpot and Salesforce.

Syncs are declared in the dbt project (`config.meta.syncs` of `sync_` models, see `spec`);
`core.run_syncs` runs them: change detection against `ops.sync_state` (`state`), the writers
(`hubspot`, `salesforce`) over ingestion's transport (`transport`), and per-record outcomes
recorded in `ops` (`outcomes`).
"""
