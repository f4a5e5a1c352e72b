"""Local API servers that speak each source system's real wire format over the demo world."""
