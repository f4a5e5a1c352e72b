"""Personal data in the warehouse: the column policy, pseudonymised publishing and erasure.

- `policy`: which columns hold personal data (`meta: {pii: <treatment>}` in each model's YAML,
  read from dbt's manifest) and which column names are of a personal kind.
- `keys`: the HMAC key (`[gtm.privacy] hmac_key` in `.dlt/secrets.toml`, never in the warehouse)
  and the keyed hashes made with it.
- `subjects`: parsing erasure requests (e-mail addresses and CRM ids, one or a file of many).
- `audit`: the `ops` tables: the erasure log and the suppression list of keyed hashes.
- `erase`: finding and deleting a person's rows in raw, dlt's staging datasets and load packages.
- `retention`: purging behavioural event rows older than the configured horizon.
- `compact`: rewriting a DuckDB file so that deleted rows' bytes are gone.
- `forget`: `gtm forget` from end to end, and the suppression applied after every ingest.
"""
