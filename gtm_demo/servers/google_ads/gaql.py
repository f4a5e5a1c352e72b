"""GAQL, the Google Ads Query Language: tokenizer and parser."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gtm_demo.servers.google_ads.catalog import _words
from gtm_demo.servers.google_ads.errors import _query_error

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
    |(?P<string>'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
    |(?P<number>-?\d+(?:\.\d+)?)(?![\w.])
    |(?P<op>!=|>=|<=|=|<|>)
    |(?P<punct>[(),])
    |(?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    """,
    re.VERBOSE,
)


_FIELD_NAME = re.compile(r"^[a-z][a-zA-Z0-9._]*$")


_RESOURCE_NAME = re.compile(r"^[a-z][a-zA-Z0-9_]*$")


_KEYWORDS = _words(
    "SELECT FROM WHERE AND OR ORDER BY ASC DESC LIMIT PARAMETERS BETWEEN IN NOT LIKE IS NULL "
    "CONTAINS ANY ALL NONE DURING REGEXP_MATCH"
)


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "'": "'", '"': '"', "\\": "\\"}


_DURING = _words(
    "TODAY YESTERDAY LAST_7_DAYS LAST_14_DAYS LAST_30_DAYS LAST_BUSINESS_WEEK LAST_MONTH "
    "LAST_WEEK_MON_SUN LAST_WEEK_SUN_SAT THIS_MONTH THIS_WEEK_MON_TODAY THIS_WEEK_SUN_TODAY"
)


_PARAMETERS = {"include_drafts", "omit_unselected_resource_names"}


@dataclass
class Token:
    """One GAQL token: kind (string, number, op, punct, word) and text."""

    kind: str
    text: str
    pos: int


@dataclass
class Condition:
    """One WHERE condition as written: `field op value`."""

    field: str
    op: str  # =, !=, <, <=, >, >=, IN, NOT IN, LIKE, NOT LIKE, REGEXP_MATCH, NOT REGEXP_MATCH,
    # BETWEEN, IS NULL, IS NOT NULL, DURING, CONTAINS ANY, CONTAINS ALL, CONTAINS NONE
    values: list[tuple[str, str]] = field(default_factory=list)  # (kind, text) literals


@dataclass
class Gaql:
    """A parsed GAQL query, names not yet resolved."""

    select: list[str]
    resource: str
    where: list[Condition] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)
    limit: int | None = None
    parameters: dict[str, bool] = field(default_factory=dict)


def tokenize(text: str) -> list[Token]:
    """Split GAQL into tokens."""
    tokens = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            char = text[pos]
            if char in "'\"":
                raise _query_error(
                    "STRING_NOT_TERMINATED",
                    f"Error in query: unterminated string starting at position {pos}.",
                    text[pos : pos + 30],
                )
            if not char.isascii():
                raise _query_error("BAD_SYMBOL", f"Error in query: invalid symbol '{char}'.", char)
            raise _query_error(
                "UNEXPECTED_INPUT", f"Error in query: unexpected input {char}.", char
            )
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

    def at(self, word: str, offset: int = 0) -> bool:
        token = self.peek(offset)
        return token is not None and token.kind == "word" and token.text.upper() == word

    def take(self, what: str) -> Token:
        token = self.peek()
        if token is None:
            raise _query_error(
                "UNEXPECTED_END_OF_QUERY", f"Error in query: unexpected end of query, {what}."
            )
        self.i += 1
        return token

    def at_punct(self, char: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "punct" and token.text == char

    def field_name(self, clause: str) -> str:
        token = self.take(f"expecting a field name in {clause}")
        if token.kind != "word" or token.text.upper() in _KEYWORDS:
            raise _query_error(
                "UNEXPECTED_INPUT",
                f"Error in query: unexpected input {token.text} in {clause}, "
                "expecting a field name.",
                token.text,
            )
        if not _FIELD_NAME.match(token.text) or token.text.endswith("."):
            raise _query_error(
                "BAD_FIELD_NAME", f"Error in query: invalid field name '{token.text}'.", token.text
            )
        return token.text

    def parse(self) -> Gaql:
        if not self.at("SELECT"):
            raise _query_error("EXPECTED_SELECT", "Error in query: expecting SELECT.")
        self.i += 1
        select = [self.field_name("SELECT clause")]
        while self.at_punct(","):
            self.i += 1
            select.append(self.field_name("SELECT clause"))
        if not self.at("FROM"):
            token = self.peek()
            if token is None:
                raise _query_error("EXPECTED_FROM", "Error in query: expecting FROM clause.")
            raise _query_error(
                "EXPECTED_FROM",
                f"Error in query: unexpected input {token.text}, expecting FROM.",
                token.text,
            )
        self.i += 1
        resource = self.take("expecting a resource name in FROM clause").text
        if not _RESOURCE_NAME.match(resource):
            raise _query_error(
                "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE",
                f"Error in query: invalid resource type '{resource}' in FROM clause.",
                resource,
            )
        query = Gaql(select, resource)
        if self.at("WHERE"):
            self.i += 1
            query.where.append(self.condition())
            while self.at("AND"):
                self.i += 1
                query.where.append(self.condition())
            if self.at("OR"):
                raise _query_error(
                    "UNEXPECTED_INPUT",
                    "Error in query: OR is not supported; conditions are joined with AND.",
                    "OR",
                )
        if self.at("ORDER"):
            self.i += 1
            if not self.at("BY"):
                raise _query_error("EXPECTED_BY", "Error in query: expecting BY after ORDER.")
            self.i += 1
            query.order.append(self.ordering())
            while self.at_punct(","):
                self.i += 1
                query.order.append(self.ordering())
        if self.at("LIMIT"):
            self.i += 1
            token = self.take("expecting a LIMIT value")
            if token.kind != "number" or not token.text.isdigit() or int(token.text) < 1:
                raise _query_error(
                    "BAD_LIMIT_VALUE",
                    f"Error in query: invalid LIMIT value '{token.text}'.",
                    token.text,
                )
            query.limit = int(token.text)
        if self.at("PARAMETERS"):
            self.i += 1
            self.parameter(query)
            while self.at_punct(","):
                self.i += 1
                self.parameter(query)
        token = self.peek()
        if token is not None:
            raise _query_error(
                "UNEXPECTED_INPUT", f"Error in query: unexpected input {token.text}.", token.text
            )
        return query

    def parameter(self, query: Gaql) -> None:
        name = self.take("expecting a parameter name").text
        if name not in _PARAMETERS:
            raise _query_error(
                "BAD_PARAMETER_NAME", f"Error in query: unknown parameter '{name}'.", name
            )
        token = self.take("expecting '='")
        if token.text != "=":
            raise _query_error(
                "UNEXPECTED_INPUT", f"Error in query: unexpected input {token.text}."
            )
        value = self.take("expecting a parameter value").text.strip("'\"").lower()
        if value not in ("true", "false"):
            raise _query_error(
                "BAD_PARAMETER_VALUE", f"Error in query: invalid value '{value}' for {name}.", value
            )
        query.parameters[name] = value == "true"

    def ordering(self) -> tuple[str, bool]:
        name = self.field_name("ORDER BY clause")
        descending = False
        if self.at("ASC") or self.at("DESC"):
            descending = self.take("ASC or DESC").text.upper() == "DESC"
        return name, descending

    def value(self) -> tuple[str, str]:
        token = self.take("expecting a value")
        if token.kind == "string":
            body = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m[1], "\\" + m[1]), token.text[1:-1])
            return "string", body
        if token.kind == "number":
            return "number", token.text
        if token.kind == "word" and "." not in token.text and token.text.upper() not in _KEYWORDS:
            return "literal", token.text
        raise _query_error(
            "UNEXPECTED_INPUT",
            f"Error in query: unexpected input {token.text}, expecting a value.",
            token.text,
        )

    def value_list(self) -> list[tuple[str, str]]:
        if not self.at_punct("("):
            raise _query_error(
                "EXPECTED_LIST", "Error in query: the operator requires a list of values."
            )
        self.i += 1
        if self.at_punct(")"):
            raise _query_error(
                "PROHIBITED_EMPTY_LIST_IN_CONDITION", "Error in query: empty list in condition."
            )
        values = [self.value()]
        while self.at_punct(","):
            self.i += 1
            values.append(self.value())
        closing = self.take("expecting ')'")
        if closing.text != ")":
            raise _query_error(
                "UNEXPECTED_INPUT", f"Error in query: unexpected input {closing.text}."
            )
        return values

    def condition(self) -> Condition:
        name = self.field_name("WHERE clause")
        if self.at("IS"):
            self.i += 1
            negated = self.at("NOT")
            if negated:
                self.i += 1
            if not self.at("NULL"):
                raise _query_error("BAD_OPERATOR", "Error in query: expecting NULL after IS.")
            self.i += 1
            return Condition(name, "IS NOT NULL" if negated else "IS NULL")
        if self.at("BETWEEN"):
            self.i += 1
            low = self.value()
            if not self.at("AND"):
                raise _query_error(
                    "EXPECTED_AND", "Error in query: expecting AND between BETWEEN values."
                )
            self.i += 1
            return Condition(name, "BETWEEN", [low, self.value()])
        negated = self.at("NOT")
        if negated:
            self.i += 1
        if self.at("IN"):
            self.i += 1
            return Condition(name, "NOT IN" if negated else "IN", self.value_list())
        for word in ("LIKE", "REGEXP_MATCH"):
            if self.at(word):
                self.i += 1
                return Condition(name, f"NOT {word}" if negated else word, [self.value()])
        if negated:
            raise _query_error("BAD_OPERATOR", "Error in query: invalid operator after NOT.")
        if self.at("CONTAINS"):
            self.i += 1
            kind = self.take("expecting ANY, ALL or NONE").text.upper()
            if kind not in ("ANY", "ALL", "NONE"):
                raise _query_error(
                    "BAD_OPERATOR", f"Error in query: invalid operator CONTAINS {kind}."
                )
            return Condition(name, f"CONTAINS {kind}", self.value_list())
        if self.at("DURING"):
            self.i += 1
            return Condition(name, "DURING", [self.value()])
        token = self.take("expecting an operator")
        if token.kind != "op":
            raise _query_error(
                "BAD_OPERATOR", f"Error in query: invalid operator '{token.text}'.", token.text
            )
        return Condition(name, token.text, [self.value()])


def parse_gaql(text: str) -> Gaql:
    """Parse the GAQL this server understands (names are resolved by `compile_query`)."""
    return _Parser(text).parse()
