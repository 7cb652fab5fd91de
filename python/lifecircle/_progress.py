"""Progress of the Rust core drawn as tqdm bars (when tqdm is installed).

The core runs on a thread of its own; the calling thread wakes every 40 ms
and, when the stage in progress changed or advanced, calls the driver with
``(message, position, length)`` (``length`` is None for a stage of unknown
length), then once with ``(None, 0, None)`` when the work is over.
"""

from __future__ import annotations

from typing import Any, Callable, Optional


class TqdmBars:
    """One tqdm bar per stage, cleared when the stage ends."""

    def __init__(self, tqdm: Callable[..., Any]) -> None:
        self._tqdm = tqdm
        self._bar: Any = None
        self._key: Optional[tuple] = None

    def __call__(self, message: Optional[str], position: int, length: Optional[int]) -> None:
        if message is None:
            self._close()
            return
        key = (message, length)
        if key != self._key:
            self._close()
            # A stage of unknown length shows its name and time, not a count of nothing.
            style = {} if length is not None else {"bar_format": "{desc} {elapsed}"}
            self._bar = self._tqdm(total=length, desc=message, leave=False, dynamic_ncols=True, **style)
            self._key = key
        if length is not None and position != self._bar.n:
            self._bar.update(position - self._bar.n)

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        self._bar = None
        self._key = None


def driver(enabled: bool) -> Optional[TqdmBars]:
    """A tqdm driver when ``enabled`` and tqdm is importable, else None."""
    if not enabled:
        return None
    try:
        import ipywidgets  # noqa: F401

        from tqdm.auto import tqdm
    except ImportError:
        try:
            from tqdm import tqdm
        except ImportError:
            return None
    return TqdmBars(tqdm)
