"""The demo world generator's public entry points (the code lives in `gtm_demo.world`)."""

from gtm_demo.world import (
    DEFAULT_AS_OF,
    DEFAULT_SCALE,
    DEFAULT_SEED,
    FIXED_SIZE_TABLES,
    GENERATOR_VERSION,
    WORLD_META,
    Progress,
    generate,
    read_world_meta,
    world_digest,
)

__all__ = [
    "DEFAULT_AS_OF",
    "DEFAULT_SCALE",
    "DEFAULT_SEED",
    "FIXED_SIZE_TABLES",
    "GENERATOR_VERSION",
    "WORLD_META",
    "Progress",
    "generate",
    "read_world_meta",
    "world_digest",
]
