"""Travel times between places: great-circle distance at a region's speed, behind an interface a
real travel-time matrix (a routing engine's table) can replace."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

import numpy as np

EARTH_KM = 6371.0088
Point = tuple[float, float]


class TravelTimes(Protocol):
    """Whole seconds to travel between (latitude, longitude) places."""

    def seconds(self, a: Point, b: Point) -> int:
        """Seconds from a to b."""
        ...

    def matrix(self, places: Sequence[Point]) -> np.ndarray:
        """Seconds between every pair of `places` (int64, row = from)."""
        ...


class GreatCircle:
    """Great-circle (haversine) distance at a constant speed, rounded to whole seconds.

    The distance is rounded to whole metres before the integer division into seconds, so the
    vectorised matrix (what a solver searches with) and the per-pair value (what the checker
    verifies with) agree even where numpy's and libm's last bits differ.
    """

    def __init__(self, speed_kmh: int) -> None:
        if int(speed_kmh) <= 0:
            raise ValueError("speed must be positive")
        self.speed_kmh = int(speed_kmh)
        self._cache: dict[tuple[Point, Point], int] = {}

    def seconds(self, a: Point, b: Point) -> int:
        """Seconds from a to b (cached per pair)."""
        if a == b:
            return 0
        key = (a, b) if a <= b else (b, a)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._seconds(a, b)
        return found

    def _seconds(self, a: Point, b: Point) -> int:
        la1, lo1, la2, lo2 = map(math.radians, (a[0], a[1], b[0], b[1]))
        h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
        metres = round(2 * EARTH_KM * 1000 * math.asin(min(1.0, math.sqrt(h))))
        return (metres * 36 + 5 * self.speed_kmh) // (10 * self.speed_kmh)

    def matrix(self, places: Sequence[Point]) -> np.ndarray:
        """Seconds between every pair, vectorised (the same rounding as `seconds`)."""
        if not places:
            return np.zeros((0, 0), dtype=np.int64)
        coords = np.radians(np.asarray(places, dtype=float))
        la, lo = coords[:, 0], coords[:, 1]
        h = np.sin((la[:, None] - la[None, :]) / 2) ** 2 + np.cos(la)[:, None] * np.cos(la)[None, :] * np.sin(
            (lo[:, None] - lo[None, :]) / 2
        ) ** 2
        metres = np.rint(2 * EARTH_KM * 1000 * np.arcsin(np.minimum(1.0, np.sqrt(h)))).astype(np.int64)
        out: np.ndarray = (metres * 36 + 5 * self.speed_kmh) // (10 * self.speed_kmh)
        np.fill_diagonal(out, 0)
        return out
