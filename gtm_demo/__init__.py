"""The demo world: a deterministic generator of a coherent go-to-market, and what it serves."""
