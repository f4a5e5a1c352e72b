"""The secret key of the keyed hashes, and the hashes made with it.

People are pseudonymised with HMAC-SHA256 under one secret key: `[gtm.privacy] hmac_key` in
`.dlt/secrets.toml` (or the environment variable `GTM__PRIVACY__HMAC_KEY`), read the dlt way. The
key is never written to the warehouse, the published file or a log: the warehouse keeps only a
fingerprint (the HMAC of a fixed text), so that a changed key is noticed before it silently breaks
the suppression list (every erased person's hash would stop matching).

When no key is configured, `load_key(create_in=root)` writes a new random one into the project's
`.dlt/secrets.toml` (git-ignored) and says so: a fresh clone's `make run` works, and the key stays
the same from run to run. Back that file up; in CI, put the key in the `DLT_SECRETS_TOML` secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from gtm.errors import GtmError

KEY_SETTING = "gtm.privacy.hmac_key"
KEY_ENV = "GTM__PRIVACY__HMAC_KEY"
MIN_KEY_LENGTH = 16
_FINGERPRINT_TEXT = "gtm-warehouse hmac key fingerprint"


class HmacKeyError(GtmError):
    """The HMAC key is missing, too short, or not the one this warehouse was keyed with."""


def keyed_hash(key: str, value: str) -> str:
    """Return HMAC-SHA256 of `value` under `key`, as 64 hex digits."""
    return hmac.new(key.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).hexdigest()


def fingerprint(key: str) -> str:
    """Return a fingerprint of `key` that can be stored: it does not reveal the key."""
    return keyed_hash(key, _FINGERPRINT_TEXT)[:16]


def _configured() -> str | None:
    import dlt

    value = dlt.secrets.get(KEY_SETTING, str)
    return str(value) if value else None


def _write_new_key(root: Path) -> str:
    import tomlkit

    key = secrets.token_hex(32)
    path = root / ".dlt" / "secrets.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    document = (
        tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
    )
    gtm_table = document.setdefault("gtm", tomlkit.table())
    privacy = gtm_table.setdefault("privacy", tomlkit.table())
    privacy["hmac_key"] = key
    path.write_text(tomlkit.dumps(document), encoding="utf-8")
    path.chmod(0o600)
    return key


def load_key(create_in: Path | None = None) -> tuple[str, bool]:
    """Return the HMAC key and whether it was just created.

    With `create_in` (the repo root), a missing key is generated into its `.dlt/secrets.toml`;
    without it, a missing key is an error naming the setting.
    """
    key = _configured()
    created = False
    if key is None:
        if create_in is None:
            raise HmacKeyError(
                f"no HMAC key: set [gtm.privacy] hmac_key in .dlt/secrets.toml (or {KEY_ENV}) to a "
                "long random string, e.g. the output of `python -c 'import secrets; "
                "print(secrets.token_hex(32))'`, and keep it: erased people are recognised by it"
            )
        key, created = _write_new_key(create_in), True
    if len(key) < MIN_KEY_LENGTH:
        raise HmacKeyError(
            f"the HMAC key ([gtm.privacy] hmac_key) is shorter than {MIN_KEY_LENGTH} characters"
        )
    return key, created
