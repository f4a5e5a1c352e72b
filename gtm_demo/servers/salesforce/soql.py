"""SOQL, the Salesforce Object Query Language: tokenizer and parser."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from gtm_demo.servers.salesforce.errors import SalesforceError, parse_datetime

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
    |(?P<string>'(?:[^'\\]|\\.)*')
    |(?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
    |(?P<date>\d{4}-\d{2}-\d{2})(?![\w:])
    |(?P<number>[+-]?\d+(?:\.\d+)?)(?![\w.])
    |(?P<op>!=|<>|<=|>=|=|<|>)
    |(?P<punct>[(),])
    |(?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    """,
    re.VERBOSE,
)


_KEYWORDS = {
    "select",
    "from",
    "where",
    "and",
    "or",
    "not",
    "in",
    "like",
    "order",
    "by",
    "asc",
    "desc",
    "nulls",
    "first",
    "last",
    "limit",
    "offset",
    "true",
    "false",
    "null",
}


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


@dataclass
class Token:
    """One SOQL token: its kind (string, datetime, date, number, op, punct, word) and text."""

    kind: str
    text: str
    pos: int


@dataclass
class Soql:
    """A parsed SOQL query."""

    fields: list[str]
    sobject: str
    where: tuple | None = None
    order: list[tuple[str, bool, bool | None]] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0


def _malformed(message: str) -> SalesforceError:
    return SalesforceError(400, "MALFORMED_QUERY", message)


def tokenize(text: str) -> list[Token]:
    """Split SOQL into tokens; anything unrecognised is a MALFORMED_QUERY."""
    tokens = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise _malformed(f"unexpected token: '{text[pos : pos + 20]}'")
        if match.lastgroup != "ws":
            tokens.append(Token(match.lastgroup or "", match.group(), pos))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self, offset: int = 0) -> Token | None:
        index = self.i + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def is_keyword(self, word: str, offset: int = 0) -> bool:
        token = self.peek(offset)
        return token is not None and token.kind == "word" and token.text.lower() == word

    def is_punct(self, char: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "punct" and token.text == char

    def next(self, what: str) -> Token:
        token = self.peek()
        if token is None:
            raise _malformed(f"unexpected end of query, expecting {what}")
        self.i += 1
        return token

    def keyword(self, word: str) -> None:
        token = self.next(word.upper())
        if token.kind != "word" or token.text.lower() != word:
            raise _malformed(f"unexpected token: '{token.text}', expecting {word.upper()}")

    def name(self, what: str) -> str:
        token = self.next(what)
        if token.kind != "word" or token.text.lower() in _KEYWORDS:
            raise _malformed(f"unexpected token: '{token.text}', expecting {what}")
        if self.is_punct("("):
            raise _malformed(f"functions are not supported here: '{token.text}('")
        return token.text

    def integer(self, what: str) -> int:
        token = self.next(what)
        if token.kind != "number" or not token.text.isdigit():
            raise _malformed(f"unexpected token: '{token.text}', expecting {what}")
        return int(token.text)

    def parse(self) -> Soql:
        self.keyword("select")
        fields = [self.name("a field name")]
        while self.is_punct(","):
            self.i += 1
            fields.append(self.name("a field name"))
        self.keyword("from")
        query = Soql(fields, self.name("an object name"))
        if self.is_keyword("where"):
            self.i += 1
            query.where = self.disjunction()
        if self.is_keyword("order"):
            self.i += 1
            self.keyword("by")
            query.order.append(self.order_item())
            while self.is_punct(","):
                self.i += 1
                query.order.append(self.order_item())
        if self.is_keyword("limit"):
            self.i += 1
            query.limit = self.integer("a LIMIT")
        if self.is_keyword("offset"):
            self.i += 1
            query.offset = self.integer("an OFFSET")
        if self.peek() is not None:
            raise _malformed(f"unexpected token: '{self.peek().text}'")  # type: ignore[union-attr]
        return query

    def order_item(self) -> tuple[str, bool, bool | None]:
        name = self.name("a field to order by")
        descending = False
        if self.is_keyword("asc") or self.is_keyword("desc"):
            descending = self.next("ASC or DESC").text.lower() == "desc"
        nulls_first = None
        if self.is_keyword("nulls"):
            self.i += 1
            token = self.next("FIRST or LAST")
            if token.text.lower() not in ("first", "last"):
                raise _malformed(f"unexpected token: '{token.text}', expecting FIRST or LAST")
            nulls_first = token.text.lower() == "first"
        return name, descending, nulls_first

    def disjunction(self) -> tuple:
        terms = [self.conjunction()]
        while self.is_keyword("or"):
            self.i += 1
            terms.append(self.conjunction())
        return terms[0] if len(terms) == 1 else ("or", terms)

    def conjunction(self) -> tuple:
        terms = [self.factor()]
        while self.is_keyword("and"):
            self.i += 1
            terms.append(self.factor())
        return terms[0] if len(terms) == 1 else ("and", terms)

    def factor(self) -> tuple:
        if self.is_keyword("not"):
            self.i += 1
            return ("not", self.factor())
        if self.is_punct("("):
            self.i += 1
            inner = self.disjunction()
            if not self.is_punct(")"):
                raise _malformed("expecting ')'")
            self.i += 1
            return inner
        name = self.name("a field name")
        if self.is_keyword("not") and self.is_keyword("in", 1):
            self.i += 2
            return ("in", name, True, self.literal_list())
        if self.is_keyword("in"):
            self.i += 1
            return ("in", name, False, self.literal_list())
        if self.is_keyword("like"):
            self.i += 1
            value = self.literal()
            if value[0] != "string":
                raise _malformed("LIKE needs a quoted string")
            return ("like", name, value)
        token = self.next("an operator")
        if token.kind != "op":
            raise _malformed(f"unexpected token: '{token.text}', expecting an operator")
        op = "!=" if token.text == "<>" else token.text
        return ("cmp", name, op, self.literal())

    def literal_list(self) -> list[tuple[str, Any]]:
        if not self.is_punct("("):
            raise _malformed("expecting '(' after IN")
        self.i += 1
        values = [self.literal()]
        while self.is_punct(","):
            self.i += 1
            values.append(self.literal())
        if not self.is_punct(")"):
            raise _malformed("expecting ')' to close the IN list")
        self.i += 1
        return values

    def literal(self) -> tuple[str, Any]:
        token = self.next("a value")
        if token.kind == "string":
            body = token.text[1:-1]
            return "string", re.sub(r"\\(.)", lambda m: _ESCAPES.get(m[1], "\\" + m[1]), body)
        if token.kind == "datetime":
            return "datetime", parse_datetime(token.text)
        if token.kind == "date":
            return "date", date.fromisoformat(token.text)
        if token.kind == "number":
            return "number", Decimal(token.text)
        if token.kind == "word" and token.text.lower() in ("true", "false"):
            return "boolean", token.text.lower() == "true"
        if token.kind == "word" and token.text.lower() == "null":
            return "null", None
        raise _malformed(f"unexpected token: '{token.text}', expecting a value")


def parse_soql(text: str) -> Soql:
    """Parse the SOQL subset this server understands."""
    return _Parser(text).parse()
