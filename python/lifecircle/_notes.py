"""Notes of a run as Python warnings."""

from __future__ import annotations

import os
import sys
import warnings
from typing import Sequence


class LifecircleWarning(UserWarning):
    """A note on a run: what the CLI prints as ``lifecircle: note: ...`` (empty
    categories, facilities or homes far from any walkable way, ...)."""


_HERE = os.path.dirname(os.path.abspath(__file__))


def warn(notes: Sequence[str]) -> None:
    """Warns of each note, attributed to the first caller outside the package."""
    level, frame = 2, sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_HERE + os.sep):
        frame, level = frame.f_back, level + 1
    for note in notes:
        warnings.warn(note, LifecircleWarning, stacklevel=level)


