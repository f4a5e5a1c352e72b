"""Find every raw row of a person and delete it: raw tables, dlt's staging datasets, load packages.

A person is an `Identity`: their e-mail addresses, HubSpot contact ids, Salesforce lead and contact
ids. `resolve` grows it from what was asked (an e-mail or one id) through the raw CRM tables until
nothing new is found: a contact's e-mail finds the leads and contacts with that e-mail, a lead
finds the contact it was converted to, a HubSpot contact the contacts merged into it.

`LINKS` says which raw column holds which kind of identifier; every row whose column matches the
identity is deleted. As a safety net, every text column of every raw table is also searched for
the person's e-mail addresses (a form submission's field values, an address typed into a note).
dlt's nested tables lose the children of deleted rows (`_dlt_root_id`). dlt's staging datasets
(`raw_<source>_staging`, the last merge batch) are emptied, and the completed load packages in
dlt's working folder (`load/loaded`, an archive dlt does not read again) are removed.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from gtm.privacy import keys

ID_KINDS = ("hubspot_contact", "salesforce_lead", "salesforce_contact")


@dataclass(frozen=True)
class Link:
    """A raw column that holds a person's identifier of `kind` (`salesforce_any`: lead or contact).

    `where` narrows the rows (e.g. HubSpot web events of contacts only).
    """

    schema: str
    table: str
    column: str
    kind: str
    where: str = ""


LINKS: tuple[Link, ...] = (
    Link("raw_hubspot", "contacts", "id", "hubspot_contact"),
    Link("raw_hubspot", "contacts", "email", "email"),
    Link("raw_hubspot", "contacts_to_companies", "from_id", "hubspot_contact"),
    Link("raw_hubspot", "deals_to_contacts", "to_id", "hubspot_contact"),
    Link("raw_hubspot", "web_events", "object_id", "hubspot_contact", "object_type = 'CONTACT'"),
    Link("raw_hubspot", "email_events", "recipient", "email"),
    Link("raw_salesforce", "lead", "id", "salesforce_lead"),
    Link("raw_salesforce", "lead", "email", "email"),
    Link("raw_salesforce", "contact", "id", "salesforce_contact"),
    Link("raw_salesforce", "contact", "email", "email"),
    Link("raw_salesforce", "campaign_member", "lead_id", "salesforce_lead"),
    Link("raw_salesforce", "campaign_member", "contact_id", "salesforce_contact"),
    Link("raw_salesforce", "campaign_member", "lead_or_contact_id", "salesforce_any"),
    Link("raw_salesforce", "task", "who_id", "salesforce_any"),
    Link("raw_salesforce", "event", "who_id", "salesforce_any"),
    Link("raw_salesforce", "opportunity_contact_role", "contact_id", "salesforce_contact"),
    Link("raw_salesforce", "deleted_records", "id", "salesforce_any"),
)
"""Where each raw table keeps a person's identifiers (the table's own key and its references)."""

EMAIL_SOURCES: tuple[tuple[str, str, str], ...] = (
    ("raw_hubspot", "contacts", "email"),
    ("raw_salesforce", "lead", "email"),
    ("raw_salesforce", "contact", "email"),
    ("raw_hubspot", "email_events", "recipient"),
)
"""Columns whose values are e-mail addresses of people (hashed to match the suppression list)."""


@dataclass
class Identity:
    """Everything that identifies one person in raw."""

    emails: set[str] = field(default_factory=set)
    hubspot_contact: set[str] = field(default_factory=set)
    salesforce_lead: set[str] = field(default_factory=set)
    salesforce_contact: set[str] = field(default_factory=set)

    def add(self, kind: str, value: str | None) -> bool:
        """Add one identifier; return whether it was new."""
        if value is None or value == "":
            return False
        value = value.strip().lower() if kind == "email" else value.strip()
        bucket = self.emails if kind == "email" else getattr(self, kind)
        if value in bucket:
            return False
        bucket.add(value)
        return True

    def values(self, kind: str) -> set[str]:
        """Return the identifiers of `kind` (`salesforce_any`: leads and contacts)."""
        if kind == "email":
            return self.emails
        if kind == "salesforce_any":
            return self.salesforce_lead | self.salesforce_contact
        return set(getattr(self, kind))

    def is_empty(self) -> bool:
        """Whether nothing identifies the person in raw."""
        return not (
            self.emails or self.hubspot_contact or self.salesforce_lead or self.salesforce_contact
        )

    def hashes(self, key: str) -> dict[str, str]:
        """Return {keyed hash: kind} of every identifier (what the suppression list stores)."""
        found = {keys.keyed_hash(key, f"email:{email}"): "email" for email in self.emails}
        for kind in ID_KINDS:
            for value in getattr(self, kind):
                found[keys.keyed_hash(key, f"{kind}:{value}")] = kind
        return found

    def merge(self, other: Identity) -> None:
        """Add every identifier of `other`."""
        self.emails |= other.emails
        for kind in ID_KINDS:
            getattr(self, kind).update(getattr(other, kind))


def tables(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], dict[str, str]]:
    """Return {(schema, table): {column: type}} of every base table in the warehouse."""
    found: dict[tuple[str, str], dict[str, str]] = {}
    rows = con.execute(
        "select c.table_schema, c.table_name, c.column_name, c.data_type "
        "from information_schema.columns as c join information_schema.tables as t "
        "on c.table_catalog = t.table_catalog and c.table_schema = t.table_schema "
        "and c.table_name = t.table_name "
        "where t.table_type = 'BASE TABLE' and t.table_catalog = current_database() "
        "order by c.table_schema, c.table_name, c.ordinal_position"
    ).fetchall()
    for schema, table, column, data_type in rows:
        found.setdefault((schema, table), {})[column] = data_type
    return found


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _has(known: Mapping[tuple[str, str], Mapping[str, str]], link: Link) -> bool:
    return link.column in known.get((link.schema, link.table), {})


def _match(link: Link, values: Iterable[str]) -> tuple[str, list[object]]:
    """Return a condition on `link`'s column matching `values`, and its parameter."""
    column = _q(link.column)
    expression = f"lower(trim({column}))" if link.kind == "email" else column
    condition = f"list_contains(?, {expression})"
    if link.where:
        condition = f"({condition}) and ({link.where})"
    return condition, [sorted(values)]


def _step(
    con: duckdb.DuckDBPyConnection,
    known: Mapping[tuple[str, str], Mapping[str, str]],
    identity: Identity,
) -> bool:
    """Grow `identity` by one round through the CRM tables; return whether it grew."""
    grew = False

    def rows(schema: str, table: str, columns: str, link: Link) -> list[tuple]:
        values = identity.values(link.kind)
        if not values or not _has(known, link):
            return []
        condition, params = _match(link, values)
        return con.execute(
            f"select {columns} from {_q(schema)}.{_q(table)} where {condition}", params
        ).fetchall()

    contacts = ("raw_hubspot", "contacts")
    if contacts in known:
        merged = "hs_merged_object_ids" if "hs_merged_object_ids" in known[contacts] else "null"
        for kind, column in (("email", "email"), ("hubspot_contact", "id")):
            link = Link(*contacts, column, kind)
            for contact_id, email, merged_ids in rows(*contacts, f"id, email, {merged}", link):
                grew |= identity.add("hubspot_contact", contact_id)
                grew |= identity.add("email", email)
                for merged_id in str(merged_ids or "").split(";"):
                    grew |= identity.add("hubspot_contact", merged_id)
    leads = ("raw_salesforce", "lead")
    if leads in known:
        converted = "converted_contact_id" if "converted_contact_id" in known[leads] else "null"
        for kind, column in (
            ("email", "email"),
            ("salesforce_lead", "id"),
            ("salesforce_contact", converted),
        ):
            if column == "null":
                continue
            link = Link(*leads, column, kind)
            for lead_id, email, contact_id in rows(*leads, f"id, email, {converted}", link):
                grew |= identity.add("salesforce_lead", lead_id)
                grew |= identity.add("email", email)
                grew |= identity.add("salesforce_contact", contact_id)
    sf_contacts = ("raw_salesforce", "contact")
    if sf_contacts in known:
        for kind, column in (("email", "email"), ("salesforce_contact", "id")):
            link = Link(*sf_contacts, column, kind)
            for contact_id, email in rows(*sf_contacts, "id, email", link):
                grew |= identity.add("salesforce_contact", contact_id)
                grew |= identity.add("email", email)
    return grew


def resolve(con: duckdb.DuckDBPyConnection, seed: Identity, rounds: int = 10) -> Identity:
    """Return everything in raw that identifies the person `seed` starts from."""
    known = tables(con)
    identity = Identity()
    identity.merge(seed)
    for _ in range(rounds):
        if not _step(con, known, identity):
            break
    return identity


def _is_raw(schema: str, table: str) -> bool:
    return (
        schema.startswith("raw_")
        and not schema.endswith("_staging")
        and not table.startswith("_dlt")
    )


def _text_columns(columns: Mapping[str, str]) -> list[str]:
    return [
        name
        for name, data_type in columns.items()
        if (data_type.upper() in ("VARCHAR", "JSON") or data_type.upper().startswith("VARCHAR"))
        and not name.startswith("_dlt")
    ]


def _conditions(
    known: Mapping[tuple[str, str], Mapping[str, str]],
    schema: str,
    table: str,
    identity: Identity,
) -> tuple[list[str], list[object]]:
    """Return the conditions that select the person's rows of one raw table, and parameters."""
    conditions: list[str] = []
    params: list[object] = []
    for link in LINKS:
        if (link.schema, link.table) != (schema, table) or not _has(known, link):
            continue
        values = identity.values(link.kind)
        if values:
            condition, values_param = _match(link, values)
            conditions.append(condition)
            params += values_param
    if identity.emails:
        for column in _text_columns(known[(schema, table)]):
            conditions.append(
                f"list_has_any(?, regexp_extract_all(lower(cast({_q(column)} as varchar)), "
                r"'[a-z0-9._%+''-]+@[a-z0-9.-]+'))"
            )
            params.append(sorted(identity.emails))
    return conditions, params


def person_rows(con: duckdb.DuckDBPyConnection, identity: Identity) -> dict[str, int]:
    """Count the person's rows in each raw table (what `purge_raw` would delete)."""
    known = tables(con)
    counts: dict[str, int] = {}
    for schema, table in sorted(known):
        if not _is_raw(schema, table):
            continue
        conditions, params = _conditions(known, schema, table, identity)
        if not conditions:
            continue
        found = con.execute(
            f"select count(*) from {_q(schema)}.{_q(table)} where {' or '.join(conditions)}",
            params,
        ).fetchone()
        if found and found[0]:
            counts[f"{schema}.{table}"] = int(found[0])
    return counts


def _children(
    known: Mapping[tuple[str, str], Mapping[str, str]], schema: str, table: str
) -> list[str]:
    prefix = f"{table}__"
    return [
        name
        for (other_schema, name), columns in known.items()
        if other_schema == schema and name.startswith(prefix) and "_dlt_root_id" in columns
    ]


def purge_raw(con: duckdb.DuckDBPyConnection, identity: Identity) -> dict[str, int]:
    """Delete the person's rows from every raw table (and their dlt child rows); return counts.

    A nested table (`<table>__<field>`) loses the children of deleted rows, and its own rows that
    hold the person's e-mail. Runs in the caller's transaction.
    """
    known = tables(con)
    removed: dict[str, int] = {}
    for schema, table in sorted(known):
        if not _is_raw(schema, table):
            continue
        conditions, params = _conditions(known, schema, table, identity)
        if not conditions:
            continue
        where = " or ".join(conditions)
        name = f"{_q(schema)}.{_q(table)}"
        if "_dlt_id" in known[(schema, table)]:
            for child in _children(known, schema, table):
                con.execute(
                    f"delete from {_q(schema)}.{_q(child)} where _dlt_root_id in "
                    f"(select _dlt_id from {name} where {where})",
                    params,
                )
        deleted = con.execute(f"delete from {name} where {where}", params).fetchone()
        if deleted and deleted[0]:
            removed[f"{schema}.{table}"] = int(deleted[0])
    return removed


def empty_staging_datasets(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Delete every row of dlt's staging datasets (`raw_<source>_staging`: the last merge batch).

    dlt truncates them before each merge anyway; nothing reads them between loads.
    """
    removed: dict[str, int] = {}
    for schema, table in sorted(tables(con)):
        if (
            schema.startswith("raw_")
            and schema.endswith("_staging")
            and not table.startswith("_dlt")
        ):
            deleted = con.execute(f"delete from {_q(schema)}.{_q(table)}").fetchone()
            if deleted and deleted[0]:
                removed[f"{schema}.{table}"] = int(deleted[0])
    return removed


@dataclass
class PipelineFiles:
    """What `clean_pipeline_folders` did and found in dlt's working folders."""

    removed_packages: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    """Pipelines with packages not loaded yet: their files are cleaned after the next ingest."""


def clean_pipeline_folders(folder: Path) -> PipelineFiles:
    """Remove every completed load package under dlt's working `folder`; list pending ones.

    A completed package (`<pipeline>/load/loaded/<load id>`) is an archive of files already
    loaded; dlt never reads it again. Packages not yet loaded (a killed run) are left for the
    next ingest to finish, after which the suppression purge removes them.
    """
    result = PipelineFiles()
    if not folder.is_dir():
        return result
    for pipeline in sorted(p for p in folder.iterdir() if p.is_dir()):
        loaded = pipeline / "load" / "loaded"
        for package in sorted(loaded.iterdir()) if loaded.is_dir() else []:
            shutil.rmtree(package)
            result.removed_packages.append(f"{pipeline.name}/{package.name}")
        for pending_dir in (
            pipeline / "load" / "new",
            pipeline / "load" / "normalized",
            pipeline / "normalize" / "extracted",
        ):
            if pending_dir.is_dir() and any(pending_dir.iterdir()):
                result.pending.append(pipeline.name)
                break
    return result


def candidate_hashes(con: duckdb.DuckDBPyConnection, key: str) -> dict[str, Identity]:
    """Return {keyed hash: the identifier it was made from} for every person identifier in raw.

    What the suppression list is matched against after an ingest.
    """
    known = tables(con)
    found: dict[str, Identity] = {}
    for schema, table, column in EMAIL_SOURCES:
        if column not in known.get((schema, table), {}):
            continue
        for (email,) in con.execute(
            f"select distinct lower(trim({_q(column)})) from {_q(schema)}.{_q(table)} "
            f"where {_q(column)} is not null"
        ).fetchall():
            found[keys.keyed_hash(key, f"email:{email}")] = Identity(emails={email})
    for link in LINKS:
        if link.kind not in ID_KINDS or link.column != "id" or not _has(known, link):
            continue
        for (value,) in con.execute(
            f"select distinct {_q(link.column)} from {_q(link.schema)}.{_q(link.table)}"
        ).fetchall():
            found[keys.keyed_hash(key, f"{link.kind}:{value}")] = Identity(
                **{link.kind: {str(value)}}
            )
    return found
