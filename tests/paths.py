"""Where tests find things: the project, its own edge-case responses, and the shared recordings.

Recorded real responses live in ``../shared/fixtures`` (read in place, never copied); the
hand-made edge cases the parsers must survive live in ``tests/data``. Nowhere else.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SHARED = ROOT.parent / "shared"
FIXTURES = SHARED / "fixtures"
README = ROOT / "README.md"
