#!/usr/bin/env python3
"""Flag SQL constructs that work on DuckDB but not on PostgreSQL, Snowflake, BigQuery or Spark.

Usage: scripts/check_portable_sql.py [PATH ...]   (default: models/)

Scans every `.sql` file under the given paths, ignoring SQL and Jinja comments and the contents of
string literals, and prints one `path:line:column: ...` line per finding. Exits 1 when anything is
found. See STYLE.md, "Portable SQL", for the portable replacement of each construct.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

FORBIDDEN: dict[str, re.Pattern[str]] = {
    "qualify": re.compile(r"\bqualify\b", re.IGNORECASE),
    "group by all": re.compile(r"\bgroup\s+by\s+all\b", re.IGNORECASE),
    "exclude": re.compile(r"\bexclude\b", re.IGNORECASE),
    "::": re.compile(r"::"),
    "try_cast": re.compile(r"\btry_cast\b", re.IGNORECASE),
    "strftime": re.compile(r"\bstrftime\b", re.IGNORECASE),
    "strptime": re.compile(r"\bstrptime\b", re.IGNORECASE),
    "date_diff": re.compile(r"\bdate_diff\b", re.IGNORECASE),
    "regexp_matches": re.compile(r"\bregexp_matches\b", re.IGNORECASE),
    "median(": re.compile(r"\bmedian\s*\(", re.IGNORECASE),
    "arg_max": re.compile(r"\barg_max\b", re.IGNORECASE),
    "max_by": re.compile(r"\bmax_by\b", re.IGNORECASE),
    "count_if": re.compile(r"\bcount_if\b", re.IGNORECASE),
    "epoch(": re.compile(r"\bepoch\s*\(", re.IGNORECASE),
    # BigQuery: a bare `union` is an error (union all / union distinct); no `double precision` type.
    "union without all/distinct": re.compile(r"\bunion\b(?!\s+(all|distinct)\b)", re.IGNORECASE),
    "double precision": re.compile(r"\bdouble\s+precision\b", re.IGNORECASE),
}
"""Construct name -> pattern. Kept in step with STYLE.md's list."""

# Comments and string literals, blanked out before matching (newlines kept so line numbers hold).
_MASK = re.compile(
    r"\{#.*?#\}"  # jinja comment
    r"|/\*.*?\*/"  # block comment
    r"|--[^\n]*"  # line comment
    r"|'(?:[^']|'')*'",  # single-quoted string literal
    re.DOTALL,
)


@dataclass(frozen=True)
class Finding:
    """One forbidden construct at one place in one file."""

    path: Path
    line: int
    column: int
    construct: str
    text: str

    def __str__(self) -> str:
        return (
            f"{self.path}:{self.line}:{self.column}: non-portable '{self.construct}': {self.text}"
        )


def _blank(match: re.Match[str]) -> str:
    """Replace a comment or string with spaces, keeping newlines and the quotes of a string."""
    token = match.group(0)
    inner = re.sub(r"[^\n]", " ", token)
    if token.startswith("'"):
        return "'" + inner[1:-1] + "'"
    return inner


def scan_text(text: str, path: Path) -> list[Finding]:
    """Return the findings in one file's text."""
    masked = _MASK.sub(_blank, text)
    original_lines = text.splitlines()
    findings = []
    for construct, pattern in FORBIDDEN.items():
        for match in pattern.finditer(masked):
            line = masked.count("\n", 0, match.start()) + 1
            column = match.start() - (masked.rfind("\n", 0, match.start()) + 1) + 1
            source_line = original_lines[line - 1].strip()
            findings.append(Finding(path, line, column, construct, source_line))
    return sorted(findings, key=lambda f: (f.line, f.column))


def iter_sql_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders to the `.sql` files below them, sorted."""
    files: set[Path] = set()
    for path in paths:
        if path.is_dir():
            files.update(p for p in path.rglob("*.sql") if p.is_file())
        elif path.suffix == ".sql" and path.is_file():
            files.add(path)
    return sorted(files)


def scan(paths: Iterable[Path]) -> list[Finding]:
    """Return the findings in every `.sql` file under `paths`."""
    findings: list[Finding] = []
    for file in iter_sql_files(paths):
        findings.extend(scan_text(file.read_text(encoding="utf-8"), file))
    return findings


def main(argv: Sequence[str] | None = None) -> int:
    """Scan the paths given (default: models/); print findings; return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    paths = [Path(arg) for arg in args] or [Path("models")]
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        print(f"check_portable_sql: no such path: {', '.join(missing)}", file=sys.stderr)
        return 2
    files = iter_sql_files(paths)
    findings = scan(files)
    for finding in findings:
        print(finding)
    if findings:
        print(
            f"check_portable_sql: {len(findings)} non-portable construct(s) "
            f"in {len(files)} file(s); see STYLE.md, 'Portable SQL'.",
            file=sys.stderr,
        )
        return 1
    print(f"check_portable_sql: {len(files)} SQL file(s) checked, all portable.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
