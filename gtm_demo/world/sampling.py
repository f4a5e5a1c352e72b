"""Small deterministic helpers: stable hashes, slugs, stratified draws."""

from __future__ import annotations

import zlib

import numpy as np


def stable_hash(label: object) -> int:
    """Hash `label` the same way in every process (unlike `hash`)."""
    return zlib.crc32(str(label).encode())


def slugify(text: str) -> str:
    """Lower-case `text` with runs of other characters than letters and digits as one `-`."""
    keep = "".join(ch.lower() if ch.isalnum() else "-" for ch in text)
    return "-".join(part for part in keep.split("-") if part)


def sigmoid(x: np.ndarray | float) -> np.ndarray | float:
    """Return the logistic function of `x`."""
    return 1.0 / (1.0 + np.exp(-x))


def stratified_uniform(rng: np.random.Generator, n: int) -> np.ndarray:
    """Return n uniforms in (0, 1), one in each of n equal strata, in random order."""
    return (rng.permutation(n) + rng.random(n)) / n


def stratified_choice(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """Return n indices drawn with the given weights by stratified sampling."""
    edges = np.cumsum(weights) / weights.sum()
    return np.searchsorted(edges, stratified_uniform(rng, n), side="right").clip(
        0, len(weights) - 1
    )


def looks_valid(email: str) -> bool:
    """Whether an e-mail has one `@`, a local part, and a dotted domain without `..`."""
    local, _, domain = email.strip().partition("@")
    return bool(local) and "@" not in domain and "." in domain and ".." not in domain
