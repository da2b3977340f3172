"""Unit tests of vision.pipeline's small pure helpers (the whole pipeline: test_pipeline_synthetic/real)."""

from __future__ import annotations

import math

import pytest

from vision.pipeline import SILHOUETTE_POINT_SIGMA_PX, analysis_stride, combined_uncertainty_cm


def test_combined_uncertainty_adds_its_parts_in_quadrature() -> None:
    """10 cm at a 3 % scale doubt (0.3 cm), two mask points at 3 px/cm (sqrt(2) x 1.5 / 3 = 0.71 cm), reps
    of 10 and 11 cm (sample sd 0.71 cm) and 0.4 cm from the camera's unmeasured orientation."""
    assert SILHOUETTE_POINT_SIGMA_PX == 1.5
    total = combined_uncertainty_cm(10.0, 0.03, 3.0, [10.0, 11.0], camera_doubt_cm=0.4)
    assert total == pytest.approx(math.sqrt(0.3**2 + 0.5 + 0.5 + 0.4**2))
    assert combined_uncertainty_cm(10.0, 0.03, 3.0, [10.0]) == pytest.approx(math.sqrt(0.3**2 + 0.5))


@pytest.mark.parametrize(
    ("fps", "analysis_fps", "stride"), [(30, 15, 2), (60, 15, 4), (25, 15, 2), (10, 15, 1), (30, 0, 1)]
)
def test_analysis_stride(fps: float, analysis_fps: float, stride: int) -> None:
    assert analysis_stride(fps, analysis_fps) == stride
