"""Record identifiers in each source system's own shape."""

from __future__ import annotations

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

# Salesforce key prefixes of the objects the world holds.
SALESFORCE_PREFIXES = {
    "Account": "001",
    "Contact": "003",
    "Lead": "00Q",
    "Opportunity": "006",
    "OpportunityContactRole": "00K",
    "OpportunityHistory": "008",
    "Campaign": "701",
    "CampaignMember": "00v",
    "User": "005",
    "Task": "00T",
    "Event": "00U",
}


def _base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, rest = divmod(number, 62)
        chars.append(_BASE62[rest])
    if number:
        raise ValueError("record number too large for a Salesforce id")
    return "".join(reversed(chars))


def salesforce_id(sobject: str, number: int) -> str:
    """Return the 18-character Salesforce id of record `number` of `sobject`.

    The 15-character case-sensitive id is key prefix, pod, a reserved character and the record
    number in base 62; the three suffix characters encode which of its characters are upper case,
    as Salesforce does, so the 18-character form is case-insensitively unique.
    """
    short = f"{SALESFORCE_PREFIXES[sobject]}5g0{_base62(number, 9)}"
    suffix = ""
    for block in range(3):
        bits = 0
        for position, char in enumerate(short[block * 5 : block * 5 + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << position
        suffix += _SUFFIX[bits]
    return short + suffix


class Sequence:
    """Hands out consecutive record numbers per object, so ids depend only on generation order."""

    def __init__(self, start: int = 1) -> None:
        self._next: dict[str, int] = {}
        self._start = start

    def next(self, name: str) -> int:
        """Return the next number for `name`."""
        value = self._next.get(name, self._start)
        self._next[name] = value + 1
        return value

    def salesforce(self, sobject: str) -> str:
        """Return the next Salesforce id of `sobject`."""
        return salesforce_id(sobject, 1_000_000 + self.next(f"sf:{sobject}"))

    def hubspot(self, object_type: str, base: int) -> str:
        """Return the next HubSpot id of `object_type`, a decimal string counting up from `base`."""
        return str(base + self.next(f"hs:{object_type}"))
