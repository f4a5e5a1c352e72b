"""Stand-ins for dbt's Jinja context when sqlfluff lints models with its fast jinja templater.

sqlfluff's `apply_dbt_builtins` covers `ref`, `source`, `var`, `config`, `this` and
`is_incremental`, but not the `dbt` namespace of cross-database macros (`dbt.dateadd`, ...),
`api.Column.translate_type`, `target` or `adapter`, which STYLE.md asks every model to use; and
its `var` returns a placeholder, not the project's vars (`var(...).get(...)` fails). `.sqlfluff`
loads this package through `library_path`; each public name below becomes a template variable.
The SQL they render only has to parse as DuckDB so that sqlfluff can lint the code around it;
dbt itself renders the real thing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml

_TYPES = {
    "type_string": "varchar",
    "type_int": "integer",
    "type_bigint": "bigint",
    "type_float": "double",
    "type_numeric": "numeric(28, 6)",
    "type_timestamp": "timestamp",
    "type_boolean": "boolean",
}


def _sql(value: Any) -> str:
    return str(value)


def _call(name: str) -> Callable[..., str]:
    def render(*args: Any, **kwargs: Any) -> str:
        parts = [_sql(arg) for arg in args] + [_sql(value) for value in kwargs.values()]
        return f"{name}({', '.join(parts)})"

    return render


class _DbtNamespace:
    """`dbt.<macro>(...)`: known macros render DuckDB-like SQL; any other renders as a call."""

    def __getattr__(self, name: str) -> Callable[..., str]:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in _TYPES:
            return lambda: _TYPES[name]
        if name in ("except", "intersect"):  # set operators (dbt-duckdb renders the bare keyword)
            return lambda: name
        return _call(name)

    @staticmethod
    def dateadd(datepart: str, interval: Any, from_date_or_timestamp: str) -> str:
        """Render like dbt-duckdb's dateadd."""
        return f"date_add({from_date_or_timestamp}, interval ({interval}) {datepart})"

    @staticmethod
    def datediff(first_date: str, second_date: str, datepart: str) -> str:
        """Render like dbt-duckdb's datediff."""
        return f"date_diff('{datepart}', {first_date}, {second_date})"

    @staticmethod
    def date_trunc(datepart: str, date: str) -> str:
        """Render like dbt's date_trunc."""
        return f"date_trunc('{datepart}', {date})"

    @staticmethod
    def safe_cast(field: str, type: str) -> str:
        """Render a cast."""
        return f"cast({field} as {type})"

    @staticmethod
    def cast(field: str, type: str) -> str:
        """Render a cast."""
        return f"cast({field} as {type})"

    @staticmethod
    def concat(fields: list[str]) -> str:
        """Render a concatenation."""
        return " || ".join(f"({field})" for field in fields)

    @staticmethod
    def hash(field: str) -> str:
        """Render like dbt's hash."""
        return f"md5(cast({field} as varchar))"

    @staticmethod
    def listagg(
        measure: str, delimiter_text: str = "','", order_by_clause: str = "", limit_num: Any = None
    ) -> str:
        """Render like dbt-duckdb's listagg."""
        return f"string_agg({measure}, {delimiter_text} {order_by_clause})"

    @staticmethod
    def string_literal(value: str) -> str:
        """Render a quoted literal."""
        return "'" + str(value).replace("'", "''") + "'"

    @staticmethod
    def escape_single_quotes(expression: str) -> str:
        """Escape quotes like dbt does."""
        return str(expression).replace("'", "''")

    @staticmethod
    def date_spine(datepart: str, start_date: str, end_date: str) -> str:
        """Render a one-column query shaped like dbt's date_spine."""
        return f"select cast({start_date} as date) as date_{datepart}"


dbt = _DbtNamespace()
"""The `dbt` namespace of cross-database macros."""

api = SimpleNamespace(Column=SimpleNamespace(translate_type=lambda dtype: dtype))
"""`api.Column.translate_type(...)`, returning the type unchanged."""

target = SimpleNamespace(
    name="lint",
    type="duckdb",
    schema="main",
    database="memory",
    profile_name="gtm_warehouse",
    threads=2,
)
"""The `target` of the in-memory lint profile."""


_PROJECT_FILE = Path(__file__).resolve().parents[3] / "dbt_project.yml"
_PROJECT_VARS: dict[str, Any] = (
    yaml.safe_load(_PROJECT_FILE.read_text(encoding="utf-8")) or {}
).get("vars", {})


def var(name: str, default: Any = None) -> Any:
    """`var(name, default)`: the value in dbt_project.yml's `vars`, else the default (like dbt)."""
    return _PROJECT_VARS.get(name, default)


def _dispatch(macro_name: str, macro_namespace: str | None = None) -> Callable[..., str]:
    """`adapter.dispatch(name)(column, ...)`: renders `name(column)`, enough to lint around.

    The project's dispatched macros take the SQL expression first; later arguments (regex patterns,
    capture groups) are not SQL, so they are left out rather than rendered unquoted.
    """

    def render(*args: Any, **kwargs: Any) -> str:
        if macro_name in _DISPATCHED_STANDINS:
            return _DISPATCHED_STANDINS[macro_name](*args, **kwargs)
        return f"{macro_name}({_sql(args[0]) if args else ''})"

    return render


def _unnest_split(
    relation: str, columns: list[str], list_column: str, delimiter: str, element: str
) -> str:
    selected = [f"{relation}.{column}" for column in columns]
    selected.append(f"{relation}.{list_column} as {element}")
    return f"select {', '.join(selected)} from {relation}"


_DISPATCHED_STANDINS: dict[str, Callable[..., str]] = {
    "type_double": lambda: "double",
    "unnest_split": _unnest_split,
}
"""Dispatched macros that render a type or a whole select rather than an expression."""


adapter = SimpleNamespace(
    quote=lambda identifier: f'"{identifier}"',
    dispatch=_dispatch,
)
"""`adapter.quote(...)` and `adapter.dispatch(...)` as dbt-duckdb would use them."""
