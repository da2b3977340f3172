"""Shared fixtures: the motion-capture walk (parsed from its TRC file) and a PoseTrack factory."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from vision.pose.landmarks import N_LANDMARKS, Landmark, PoseTrack

FloatArray = npt.NDArray[np.float64]

REPO = Path(__file__).resolve().parents[1]
MOCAP_TRC = REPO / ".." / "shared" / "data" / "mocap" / "rajagopal_walk.trc"


# ---------------------------------------------------------------- motion capture


@dataclass(frozen=True)
class Mocap:
    """Marker trajectories of a TRC file: ``markers[name]`` is (n_frames, 3) X, Y, Z in the file's units."""

    time_s: FloatArray
    rate_hz: float
    units: str
    markers: dict[str, FloatArray]


def load_trc(path: Path) -> Mocap:
    """Parse an OpenSim TRC file generically: marker names and their X/Y/Z columns come from the header.

    Layout: line 1 file type, line 2 keys (DataRate, ..., Units, ...), line 3 their values, line 4
    ``Frame#, Time, name, '', '', name, ...``, line 5 ``X1, Y1, Z1, ...``, then (after an optional blank
    line) one tab-separated row per frame. Empty cells (occluded markers) become NaN.
    """
    lines = path.read_text().splitlines()
    keys = [cell.strip() for cell in lines[1].split("\t") if cell.strip()]
    values = [cell.strip() for cell in lines[2].split("\t") if cell.strip()]
    header = dict(zip(keys, values, strict=True))
    names = lines[3].split("\t")
    columns = {name.strip(): i for i, name in enumerate(names) if name.strip()}
    time_col = columns.pop("Time")
    columns.pop("Frame#")
    rows = [line.split("\t") for line in lines[5:] if line.strip()]
    width = max(columns.values()) + 3
    table = np.array(
        [[float(cell) if cell.strip() else np.nan for cell in (row + [""] * width)[:width]] for row in rows]
    )
    markers = {name: table[:, col : col + 3] for name, col in columns.items()}
    return Mocap(table[:, time_col], float(header["DataRate"]), header["Units"], markers)


@pytest.fixture(scope="session")
def mocap() -> Mocap:
    """The Rajagopal walking capture (100 Hz, mm, Y up, X forward); skips when ../shared is absent."""
    if not MOCAP_TRC.is_file():
        pytest.skip(
            f"motion-capture data {MOCAP_TRC.resolve()} not found "
            "(it lives in ../shared/data beside the repository, not in a clone)"
        )
    return load_trc(MOCAP_TRC)


# ---------------------------------------------------------------- pose tracks

MakeTrack = Callable[..., PoseTrack]


def _make_track(
    points: Mapping[Landmark, npt.ArrayLike],
    n_frames: int,
    *,
    time_s: FloatArray | None = None,
    visibility: float = 0.95,
    width_px: int = 1280,
    height_px: int = 720,
) -> PoseTrack:
    """A PoseTrack with the given landmarks ((2,) fixed or (n_frames, 2) per frame) and NaN elsewhere.

    Landmarks that are given get ``visibility`` where their position is finite, the others 0.
    """
    xy = np.full((n_frames, N_LANDMARKS, 2), np.nan)
    for landmark, value in points.items():
        xy[:, int(landmark), :] = np.broadcast_to(np.asarray(value, dtype=np.float64), (n_frames, 2))
    vis = np.where(np.all(np.isfinite(xy), axis=2), visibility, 0.0)
    t = np.arange(n_frames) / 30.0 if time_s is None else np.asarray(time_s, dtype=np.float64)
    return PoseTrack(
        xy_px=xy,
        visibility=vis,
        world_m=np.full((n_frames, N_LANDMARKS, 3), np.nan),
        time_s=t,
        frame_index=np.arange(n_frames, dtype=np.int64),
        width_px=width_px,
        height_px=height_px,
    )


@pytest.fixture
def make_track() -> MakeTrack:
    """Factory: ``make_track({Landmark.LEFT_KNEE: (n, 2) or (2,), ...}, n_frames, **options)``."""
    return _make_track
