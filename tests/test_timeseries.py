"""Tests for vision.metrics.timeseries: masking, outlier rejection, gap filling, zero-phase smoothing
and rep finding.

Synthetic rocks are raised-cosine rises and falls around a flat plateau at a known peak angle, so the peak,
the hold and the troughs are known exactly. Every rep test runs on three time axes: 30 fps, 60 fps and a
variable-frame-rate phone clip (jittered frame intervals with dropped frames).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pytest
from scipy import signal

from vision.metrics.timeseries import (
    CleaningParams,
    RepParams,
    clean,
    find_reps,
    interpolate_gaps,
    lowpass_zero_phase,
    mask_low_visibility,
    reject_outliers,
    smooth,
)

FloatArray = npt.NDArray[np.float64]

TIME_AXES = ["30fps", "60fps", "vfr"]
BASE_DEG = 5.0
RISE_S = 1.0
HOLD_S = 0.8


def time_axis(kind: str, duration_s: float, seed: int = 0) -> FloatArray:
    """Frame times: constant 30 or 60 fps, or a ~30 fps phone clip with +-15% jitter and dropped frames."""
    if kind == "30fps":
        return np.arange(0.0, duration_s, 1 / 30)
    if kind == "60fps":
        return np.arange(0.0, duration_s, 1 / 60)
    rng = np.random.default_rng(seed)
    dt = (1 / 30) * rng.uniform(0.85, 1.15, int(duration_s * 40))
    dt[::37] *= 2.0  # a dropped frame every ~1.2 s
    t = np.concatenate([[0.0], np.cumsum(dt)])
    return t[t < duration_s]


def rocks(
    t: FloatArray, starts_and_peaks: Sequence[tuple[float, float]], base: float = BASE_DEG
) -> FloatArray:
    """Baseline ``base``; each rock rises (raised cosine, RISE_S) to ``peak``, holds HOLD_S, falls."""
    y = np.full_like(t, base)
    for t0, peak in starts_and_peaks:
        u = (t - t0) / RISE_S
        rising = (u > 0) & (u < 1)
        y[rising] = base + (peak - base) * (1 - np.cos(np.pi * u[rising])) / 2
        y[(t >= t0 + RISE_S) & (t <= t0 + RISE_S + HOLD_S)] = peak
        v = (t - (t0 + RISE_S + HOLD_S)) / RISE_S
        falling = (v > 0) & (v < 1)
        y[falling] = peak - (peak - base) * (1 - np.cos(np.pi * v[falling])) / 2
    return y


def plateau(t: FloatArray, t0: float) -> npt.NDArray[np.bool_]:
    return (t >= t0 + RISE_S) & (t <= t0 + RISE_S + HOLD_S)


# ---------------------------------------------------------------- mask_low_visibility


def test_mask_low_visibility() -> None:
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    visibility = np.array([0.9, 0.49, 0.5, np.nan, 0.0])
    out = mask_low_visibility(values, visibility, 0.5)
    np.testing.assert_array_equal(out, [1.0, np.nan, 3.0, np.nan, np.nan])
    np.testing.assert_array_equal(values, [1.0, 2.0, 3.0, 4.0, 5.0])  # input untouched


# ---------------------------------------------------------------- reject_outliers


def test_reject_outliers_removes_single_frame_spikes_on_a_sine() -> None:
    # A lunge-paced sine (0.3 Hz, +-10 deg) at 30 fps with 0.3 deg noise and six 20 deg single-frame spikes,
    # some at the peaks and some on the steepest parts.
    rng = np.random.default_rng(0)
    t = np.arange(0.0, 10.0, 1 / 30)
    truth = 10.0 * np.sin(2 * np.pi * 0.3 * t)
    noisy = truth + rng.normal(0.0, 0.3, len(t))
    spikes = np.array([20, 60, 83, 140, 200, 250])
    noisy[spikes] += np.array([20.0, -20.0, 20.0, 20.0, -20.0, 20.0])
    out = reject_outliers(noisy, t, window_s=0.5, n_sigmas=3.5, floor=1.0)
    assert np.isnan(out[spikes]).all(), out[spikes]
    # 0.3 deg noise is 3.3 sigma below the 1 deg floor: at most a stray frame of the 294 others goes too.
    assert np.isnan(np.delete(out, spikes)).sum() <= 1
    kept = np.isfinite(out)
    np.testing.assert_array_equal(out[kept], noisy[kept])  # what is kept passes through unchanged


@pytest.mark.parametrize("hold_s", [0.0, 0.4, 1.5])
@pytest.mark.parametrize("noise_deg", [0.0, 0.3])
def test_reject_outliers_keeps_a_real_peak(hold_s: float, noise_deg: float) -> None:
    t = np.arange(0.0, 6.0, 1 / 30)
    y = np.full_like(t, BASE_DEG)
    u = (t - 1.0) / 0.8
    y[(u > 0) & (u < 1)] = BASE_DEG + 25.0 * (1 - np.cos(np.pi * u[(u > 0) & (u < 1)])) / 2
    y[(t >= 1.8) & (t <= 1.8 + hold_s)] = 30.0
    v = (t - 1.8 - hold_s) / 0.8
    y[(v > 0) & (v < 1)] = 30.0 - 25.0 * (1 - np.cos(np.pi * v[(v > 0) & (v < 1)])) / 2
    noisy = y + np.random.default_rng(1).normal(0.0, noise_deg, len(t))
    out = reject_outliers(noisy, t, window_s=0.5, n_sigmas=3.5, floor=1.0)
    top = y >= 25.0  # the top of the rock, where a real peak would be mistaken for a spike
    assert top.sum() >= 5
    assert np.isfinite(out[top]).all(), np.flatnonzero(np.isnan(out))
    if noise_deg == 0.0:
        assert np.isfinite(out).all(), np.flatnonzero(np.isnan(out))


def test_reject_outliers_floor_protects_a_near_constant_signal() -> None:
    t = np.arange(0.0, 3.0, 1 / 30)
    x = np.full_like(t, 12.0)
    x[::2] += 0.01  # MAD is tiny: without the floor a 0.5 deg wobble would be 'an outlier'
    x[40] += 0.5
    x[70] += 5.0
    assert np.isnan(reject_outliers(x, t, 0.5, 3.5, floor=0.0)[40])
    out = reject_outliers(x, t, 0.5, 3.5, floor=1.0)
    np.testing.assert_array_equal(np.flatnonzero(np.isnan(out)), [70])


def test_reject_outliers_leaves_nan_alone() -> None:
    t = np.arange(0.0, 1.0, 0.1)
    x = np.array([1.0, np.nan, 1.1, 0.9, np.nan, 1.0, 1.05, 0.95, 1.0, np.nan])
    out = reject_outliers(x, t, 0.5, 3.5, floor=1.0)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(x))


# ---------------------------------------------------------------- interpolate_gaps


def uneven_times(n: int, seed: int = 4) -> FloatArray:
    return np.cumsum(np.random.default_rng(seed).uniform(0.02, 0.05, n))


def test_interpolate_gaps_fills_short_gaps_exactly_with_uneven_times() -> None:
    t = uneven_times(60)
    linear = 3.0 * t - 2.0
    x = linear.copy()
    short = [slice(10, 12), slice(30, 33)]  # at most 4 intervals of <= 0.05 s: <= 0.2 s
    for gap in short:
        x[gap] = np.nan
    out = interpolate_gaps(x, t, max_gap_s=0.25)
    np.testing.assert_allclose(out, linear, atol=1e-12)


def test_interpolate_gaps_leaves_long_gaps_and_ends_nan() -> None:
    t = uneven_times(80)
    x = 3.0 * t - 2.0
    x[:3] = np.nan  # leading: no left neighbour
    x[20:22] = np.nan  # short
    x[40:55] = np.nan  # long: 16 intervals of >= 0.02 s
    x[-2:] = np.nan  # trailing
    assert t[55] - t[39] > 0.25
    out = interpolate_gaps(x, t, max_gap_s=0.25)
    expected_nan = np.zeros(len(t), dtype=bool)
    expected_nan[[0, 1, 2, *range(40, 55), len(t) - 2, len(t) - 1]] = True
    np.testing.assert_array_equal(np.isnan(out), expected_nan)
    np.testing.assert_allclose(out[20:22], 3.0 * t[20:22] - 2.0, atol=1e-12)


@pytest.mark.parametrize(("max_gap_s", "filled"), [(0.3, True), (0.2999, False)])
def test_interpolate_gaps_limit_is_the_span_between_neighbours(max_gap_s: float, filled: bool) -> None:
    t = np.array([0.0, 0.1, 0.2, 0.3, 0.4, 0.5])
    x = np.array([0.0, 1.0, np.nan, np.nan, 4.0, 5.0])  # span from t=0.1 to t=0.4: 0.3 s
    out = interpolate_gaps(x, t, max_gap_s)
    if filled:
        np.testing.assert_allclose(out, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], atol=1e-12)
    else:
        np.testing.assert_array_equal(np.isnan(out), np.isnan(x))


# ---------------------------------------------------------------- lowpass_zero_phase


@pytest.mark.parametrize("fps", [30, 60])
def test_lowpass_has_no_lag_unlike_a_causal_filter(fps: int) -> None:
    t = np.arange(0.0, 10.0, 1 / fps)
    y = 10.0 * np.sin(2 * np.pi * 0.5 * t)  # peaks at 0.5 + 2k s
    smoothed = lowpass_zero_phase(y, t, cutoff_hz=3.0)
    causal = signal.sosfilt(signal.butter(2, 3.0, fs=fps, output="sos"), y)
    for true_peak_s in (2.5, 4.5, 6.5):
        window = np.flatnonzero(np.abs(t - true_peak_s) < 0.5)
        zero_phase_lag = round((t[window[np.argmax(smoothed[window])]] - true_peak_s) * fps)
        causal_lag = round((t[window[np.argmax(causal[window])]] - true_peak_s) * fps)
        assert abs(zero_phase_lag) <= 1, zero_phase_lag
        # The same Butterworth run forwards only lags by ~sqrt(2) / (2 pi fc) = 75 ms: 2 frames at 30 fps.
        assert causal_lag >= 2, causal_lag


@pytest.mark.parametrize("fps", [30, 60])
def test_lowpass_keeps_the_amplitude_of_a_slow_sine(fps: int) -> None:
    t = np.arange(0.0, 10.0, 1 / fps)
    y = 10.0 * np.sin(2 * np.pi * 0.5 * t)
    smoothed = lowpass_zero_phase(y, t, cutoff_hz=3.0)
    inner = (t > 1.0) & (t < 9.0)  # away from the ends, where the padding shapes the result
    np.testing.assert_allclose(smoothed[inner].max(), 10.0, rtol=0.02)
    np.testing.assert_allclose(smoothed[inner].min(), -10.0, rtol=0.02)


def test_lowpass_removes_frame_to_frame_jitter() -> None:
    rng = np.random.default_rng(5)
    t = np.arange(0.0, 10.0, 1 / 30)
    truth = 10.0 * np.sin(2 * np.pi * 0.5 * t)
    noisy = truth + rng.normal(0.0, 1.0, len(t))
    smoothed = lowpass_zero_phase(noisy, t, cutoff_hz=3.0)
    rms_before = np.sqrt(np.mean((noisy - truth) ** 2))
    rms_after = np.sqrt(np.mean((smoothed - truth) ** 2))
    # A 3 Hz cut-off at 30 fps passes about 3/15 of white noise power: RMS about sqrt(0.2) = 0.45 of it.
    assert rms_after < 0.6 * rms_before, (rms_before, rms_after)


def test_lowpass_keeps_nan_stretches_and_filters_each_finite_stretch() -> None:
    t = np.arange(0.0, 6.0, 1 / 30)
    y = 10.0 * np.sin(2 * np.pi * 0.5 * t) + np.where(np.arange(len(t)) % 2, 1.0, -1.0)  # +-1 Nyquist jitter
    y[60:75] = np.nan
    y[100:104] = np.nan
    y[104:108] = 50.0  # a 4-sample stretch: too short to filter, left as it is
    y[108:112] = np.nan
    out = lowpass_zero_phase(y, t, cutoff_hz=3.0)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(y))
    np.testing.assert_array_equal(out[104:108], 50.0)
    truth = 10.0 * np.sin(2 * np.pi * 0.5 * t)
    for stretch in (slice(5, 55), slice(80, 95), slice(117, 175)):
        assert np.max(np.abs(out[stretch] - truth[stretch])) < 0.3  # Nyquist jitter gone in each stretch


def test_lowpass_cutoff_above_nyquist_is_a_no_op() -> None:
    t = np.arange(0.0, 2.0, 1 / 10)
    y = np.random.default_rng(0).normal(size=len(t))
    np.testing.assert_array_equal(lowpass_zero_phase(y, t, cutoff_hz=5.0), y)


# ---------------------------------------------------------------- clean


def test_clean_masks_low_visibility_then_fills_the_short_gap() -> None:
    t = np.arange(0.0, 2.0, 1 / 30)
    linear = 2.0 + 4.0 * t
    visibility = np.ones_like(t)
    visibility[20:23] = 0.1  # 0.13 s between neighbours: filled
    visibility[40:52] = 0.1  # 0.43 s: stays missing
    out = clean(linear, t, visibility)
    np.testing.assert_allclose(out[:40], linear[:40], atol=1e-12)
    assert np.isnan(out[40:52]).all()
    np.testing.assert_allclose(out[52:], linear[52:], atol=1e-12)


# ---------------------------------------------------------------- find_reps on synthetic rocks

ROCKS = [(0.5, 20.0), (4.0, 30.0), (7.5, 25.0)]


@pytest.mark.parametrize("kind", TIME_AXES)
def test_find_reps_three_rocks(kind: str) -> None:
    t = time_axis(kind, 11.0)
    truth = rocks(t, ROCKS)
    noisy = truth + np.random.default_rng(TIME_AXES.index(kind)).normal(0.0, 0.5, len(t))
    cleaned = clean(noisy, t)
    smoothed = smooth(cleaned, t)
    reps = find_reps(smoothed, t)
    assert len(reps) == 3, reps
    tolerance = RepParams().hold_tolerance_deg
    for rep, (t0, peak) in zip(reps, ROCKS, strict=True):
        flat = plateau(t, t0)
        assert rep.start <= rep.hold_start <= rep.peak <= rep.hold_end <= rep.end
        assert t0 + RISE_S - 0.1 <= t[rep.peak] <= t0 + RISE_S + HOLD_S + 0.1, t[rep.peak] - t0
        # The maximum of a noisy plateau sits a little above it; the median over the hold does not.
        np.testing.assert_allclose(smoothed[rep.peak], peak, atol=1.0)
        hold = np.arange(rep.hold_start, rep.hold_end + 1)
        np.testing.assert_allclose(np.nanmedian(cleaned[hold]), peak, atol=0.5)
        # The hold lies where the true angle is within the tolerance (plus a noise margin) of the peak...
        assert (truth[hold] >= peak - tolerance - 0.6).all(), (t[hold[0]] - t0, t[hold[-1]] - t0)
        # ... and covers much of the flat top (smoothed 0.5 deg noise can dip 1 deg below its maximum).
        assert np.isin(np.flatnonzero(flat), hold).mean() >= 0.5


@pytest.mark.parametrize("kind", TIME_AXES)
def test_find_reps_flat_noisy_signal_has_no_rep(kind: str) -> None:
    t = time_axis(kind, 10.0)
    noisy = 12.0 + np.random.default_rng(9).normal(0.0, 0.7, len(t))
    assert find_reps(smooth(clean(noisy, t), t), t) == []


@pytest.mark.parametrize("kind", TIME_AXES)
def test_find_reps_small_sway_is_not_a_rep(kind: str) -> None:
    t = time_axis(kind, 10.0)
    sway = 12.0 + 1.5 * np.sin(2 * np.pi * 0.4 * t)  # 3 deg peak to peak: below the 4 deg minimum rise
    assert find_reps(smooth(sway, t), t) == []


@pytest.mark.parametrize("kind", TIME_AXES)
def test_find_reps_rocks_at_clip_start_and_end(kind: str) -> None:
    # The clip starts in the middle of a held rock (plateau -0.3..0.5 s) and ends in the middle of another
    # (plateau 7.0..7.8 s, clip ends at 7.6 s).
    edge_rocks = [(-1.3, 25.0), (3.0, 30.0), (6.0, 22.0)]
    t = time_axis(kind, 7.6)
    truth = rocks(t, edge_rocks)
    noisy = truth + np.random.default_rng(20 + TIME_AXES.index(kind)).normal(0.0, 0.5, len(t))
    cleaned = clean(noisy, t)
    smoothed = smooth(cleaned, t)
    reps = find_reps(smoothed, t)
    assert len(reps) == 3, reps
    first, middle, last = reps
    assert t[first.peak] <= 0.5 + 0.05
    assert 4.0 - 0.05 <= t[middle.peak] <= 4.8 + 0.05
    assert t[last.peak] >= 7.0 - 0.05
    for rep, (_, peak) in zip(reps, edge_rocks, strict=True):
        np.testing.assert_allclose(smoothed[rep.peak], peak, atol=1.0)
        hold = np.arange(rep.hold_start, rep.hold_end + 1)
        np.testing.assert_allclose(np.nanmedian(cleaned[hold]), peak, atol=0.5)
        assert (truth[hold] >= peak - RepParams().hold_tolerance_deg - 0.6).all()
    assert first.start == 0 or truth[first.start] >= 25.0 - 1.6  # the trough is outside the clip
    assert last.end == len(t) - 1 or truth[last.end] >= 22.0 - 1.6


@pytest.mark.parametrize("kind", TIME_AXES)
def test_find_reps_ignores_missing_frames(kind: str) -> None:
    t = time_axis(kind, 11.0)
    smoothed = rocks(t, ROCKS)
    smoothed[(t > 2.0) & (t < 2.2)] = np.nan  # on the first rock's fall
    reps = find_reps(smoothed, t)
    assert len(reps) == 3
    for rep, (t0, _) in zip(reps, ROCKS, strict=True):
        assert plateau(t, t0)[rep.peak]


@pytest.mark.parametrize("values", [[], [1.0], [np.nan] * 10, [1.0, np.nan, np.nan, 2.0]])
def test_find_reps_too_little_data(values: list[float]) -> None:
    t = np.arange(len(values)) / 30.0
    assert find_reps(np.array(values, dtype=np.float64), t) == []


def test_find_reps_troughs_lie_between_neighbouring_peaks() -> None:
    """Each rep starts after the previous rep's peak and ends before the next one's (reps do not overlap).

    The person starts more upright (0 deg) than the troughs between rocks (5 deg), as a real test often does.
    """
    t = time_axis("30fps", 12.0)
    angle = rocks(t, [(1.5, 20.0), (5.0, 30.0), (8.5, 25.0)]) - 5.0 * np.clip(1.0 - t, 0.0, 1.0)
    reps = find_reps(angle, t)
    assert len(reps) == 3
    for previous, current in itertools.pairwise(reps):
        assert current.start >= previous.peak, (previous, current)
        assert previous.end <= current.peak, (previous, current)


def test_find_reps_hold_of_a_rock_that_starts_the_clip_reaches_frame_0() -> None:
    t = np.arange(0.0, 4.0, 1 / 30)
    angle = 25.4 - 20.4 * (1 - np.cos(np.pi * np.clip((t - 0.3) / 1.0, 0.0, 1.0))) / 2  # hold, then fall
    angle[:9] = [25.0, 25.3, 24.7, 25.2, 25.4, 25.1, 25.0, 25.2, 25.3]  # jitter on the hold, all within 1 deg
    (rep,) = find_reps(angle, t)
    assert rep.hold_start == 0, rep


@pytest.mark.parametrize("at_end", [False, True])
def test_find_reps_peak_is_a_measured_frame(at_end: bool) -> None:
    t = np.arange(0.0, 3.0, 1 / 30)
    angle = 5.0 + 20.0 * (1 + np.cos(np.pi * np.clip(t / 1.2, 0.0, 1.0))) / 2  # starts at the top, falls
    angle[:4] = np.nan  # e.g. the first frames' landmarks were rejected
    if at_end:
        angle = angle[::-1].copy()
    (rep,) = find_reps(angle, t)
    assert np.isfinite(angle[rep.peak]), rep


# ---------------------------------------------------------------- real motion: the mocap gait cycle


def test_mocap_knee_angle_clean_and_smooth_recovers_truth(mocap) -> None:
    """Shin angle of a real gait cycle (100 Hz) + 0.5 deg noise + four 30 deg single-frame spikes.

    Gait is much faster than a lunge (the swing phase turns the shin at up to 380 deg/s), so the Hampel window
    is shortened to 0.08 s and the cut-off raised to 8 Hz; spikes are placed where the shin turns at under
    200 deg/s (a Hampel filter cannot tell a spike from a signal that itself moves 30 deg within its window).
    Result: the spikes are rejected and filled to within 1.5 deg, nothing else is rejected, and the
    cleaned and smoothed signal is within 1 deg RMS of the truth (about 0.5 deg in practice).
    """
    knee, ankle = mocap.markers["R.Knee"], mocap.markers["R.Ankle"]
    t = mocap.time_s
    truth = np.degrees(np.arctan2(knee[:, 0] - ankle[:, 0], knee[:, 1] - ankle[:, 1]))
    slope = np.abs(np.gradient(truth, t))
    spikes = np.array([30, 75, 160, 200])
    assert (slope[spikes] < 200.0).all()
    noisy = truth + np.random.default_rng(0).normal(0.0, 0.5, len(t))
    noisy[spikes] += np.array([30.0, -30.0, 30.0, -30.0])
    params = CleaningParams(outlier_window_s=0.08, cutoff_hz=8.0)

    rejected = reject_outliers(noisy, t, params.outlier_window_s, params.outlier_sigmas, params.outlier_floor)
    np.testing.assert_array_equal(np.flatnonzero(np.isnan(rejected)), spikes)

    cleaned = clean(noisy, t, params=params)
    smoothed = smooth(cleaned, t, params)
    assert np.isfinite(smoothed).all()
    np.testing.assert_allclose(cleaned[spikes], truth[spikes], atol=1.5)
    rms = math.sqrt(np.mean((smoothed - truth) ** 2))
    assert rms < 1.0, rms
    assert math.sqrt(np.mean((noisy - truth) ** 2)) > 3.0  # the raw signal was far off: the check has teeth
    # The peak of the swing (the test's "deepest point" analogue) comes through within 1.5 deg.
    np.testing.assert_allclose(smoothed.max(), truth.max(), atol=1.5)
