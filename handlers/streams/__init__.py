"""Streams: reading them, matching every event in memory, storing what they name."""
