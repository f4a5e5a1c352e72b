"""Deterministic generator of a coherent B2B SaaS go-to-market world.

Same seed, scale and as-of date give byte-identical files. People are generated in fixed chunks of
companies, so memory stays flat as the scale grows; each chunk's random streams are derived from
the seed and the chunk number alone. See docs/demo-world.md for the files and the model.

Layout: `generation` runs it (`generate`, `World`); `chunk` holds one chunk of people (`Chunk`).
Simulation: `dimensions` (users, companies), `campaigns` (the marketing calendar), `simulate`
(people and their touches), `funnel` (outcomes and deal plans). Rendering into each system's
files: `render_salesforce`, `render_hubspot`, `render_ads`, `identity` (how records spell people),
`versions` (records as histories), `metadata` (what the APIs describe). Truth: `truth` (the
defect manifest and channel effects, written once at the end by `World._write_truth`) and
`truth_people`. Constants of the business model live in `model`, small helpers in `sampling`.
"""

from gtm_demo.world.generation import generate, read_world_meta, world_digest
from gtm_demo.world.model import (
    DEFAULT_AS_OF,
    DEFAULT_SCALE,
    DEFAULT_SEED,
    FIXED_SIZE_TABLES,
    GENERATOR_VERSION,
    WORLD_META,
    Progress,
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
