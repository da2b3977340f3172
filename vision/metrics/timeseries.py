"""Time series of per-frame measurements: cleaning, zero-phase smoothing, reps and their peaks.

Every function takes the frame times (``time_s``) so parameters are physical (seconds, hertz, degrees), not
counts of frames: a 60 fps clip and a variable-frame-rate phone clip behave like a 30 fps one.
Missing values are NaN throughout; nothing is dropped, so indices always match the frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import signal

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Robust standard deviations per median absolute deviation (for normally distributed noise).
MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True)
class CleaningParams:
    """How a raw per-frame signal is cleaned. Defaults suit a lunge rocked at up to about 1 Hz.

    Attributes:
        min_visibility: landmark visibility below which a frame's value is treated as missing.
        outlier_window_s: width of the sliding window of the Hampel outlier filter.
        outlier_sigmas: a value further than this many robust SDs from the window median is an outlier.
        outlier_floor: smallest deviation (in the signal's unit) ever called an outlier, so a near-constant
            stretch with tiny MAD does not flag ordinary noise.
        max_gap_s: gaps (missing or rejected frames) up to this long are linearly interpolated.
        cutoff_hz: cut-off of the zero-phase low-pass filter. A rock takes 1-3 s, so 3 Hz keeps its shape
            and peak while removing frame-to-frame landmark jitter.
    """

    min_visibility: float = 0.5
    outlier_window_s: float = 0.5
    outlier_sigmas: float = 3.5
    outlier_floor: float = 1.0
    max_gap_s: float = 0.25
    cutoff_hz: float = 3.0


def mask_low_visibility(values: FloatArray, visibility: FloatArray, min_visibility: float) -> FloatArray:
    """Copy of ``values`` with NaN wherever ``visibility`` is below ``min_visibility``."""
    out = np.array(values, dtype=np.float64)
    out[~(np.asarray(visibility) >= min_visibility)] = np.nan
    return out


def reject_outliers(
    values: FloatArray, time_s: FloatArray, window_s: float, n_sigmas: float, floor: float = 0.0
) -> FloatArray:
    """Hampel filter: NaN where a value is far from the median of its time window (single-frame spikes)."""
    x = np.asarray(values, dtype=np.float64)
    t = np.asarray(time_s, dtype=np.float64)
    out = x.copy()
    half = window_s / 2.0
    lo = np.searchsorted(t, t - half, side="left")
    hi = np.searchsorted(t, t + half, side="right")
    for i in np.flatnonzero(np.isfinite(x)):
        window = x[lo[i] : hi[i]]
        window = window[np.isfinite(window)]
        if len(window) < 3:
            continue
        median = np.median(window)
        spread = MAD_TO_SIGMA * np.median(np.abs(window - median))
        if abs(x[i] - median) > max(n_sigmas * spread, floor):
            out[i] = np.nan
    return out


def _runs(mask: BoolArray) -> list[tuple[int, int]]:
    """[start, end) index pairs of the True runs in ``mask``."""
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def interpolate_gaps(values: FloatArray, time_s: FloatArray, max_gap_s: float) -> FloatArray:
    """Linearly fill interior NaN runs whose span (between the finite neighbours) is at most ``max_gap_s``."""
    x = np.array(values, dtype=np.float64)
    t = np.asarray(time_s, dtype=np.float64)
    for start, end in _runs(~np.isfinite(x)):
        if start == 0 or end == len(x):
            continue
        if t[end] - t[start - 1] <= max_gap_s + 1e-9:
            x[start:end] = np.interp(t[start:end], [t[start - 1], t[end]], [x[start - 1], x[end]])
    return x


def lowpass_zero_phase(values: FloatArray, time_s: FloatArray, cutoff_hz: float) -> FloatArray:
    """Second-order Butterworth low-pass run forwards and backwards (no lag), on each finite stretch.

    Stretches too short to filter are left as they are; NaN stays NaN.
    """
    x = np.asarray(values, dtype=np.float64)
    out = x.copy()
    t = np.asarray(time_s, dtype=np.float64)
    if len(t) < 2:
        return out
    sample_rate_hz = 1.0 / float(np.median(np.diff(t)))
    if cutoff_hz >= sample_rate_hz / 2.0:
        return out
    sos = signal.butter(2, cutoff_hz, fs=sample_rate_hz, output="sos")
    for start, end in _runs(np.isfinite(x)):
        stretch = x[start:end]
        padlen = min(len(stretch) - 1, round(sample_rate_hz / cutoff_hz))
        if len(stretch) >= 7:
            out[start:end] = signal.sosfiltfilt(sos, stretch, padlen=padlen, padtype="odd")
    return out


def clean(
    values: FloatArray,
    time_s: FloatArray,
    visibility: FloatArray | None = None,
    params: CleaningParams = CleaningParams(),
) -> FloatArray:
    """Outlier rejection and gap filling (no smoothing): the signal to read values from."""
    x = np.asarray(values, dtype=np.float64)
    if visibility is not None:
        x = mask_low_visibility(x, visibility, params.min_visibility)
    x = reject_outliers(x, time_s, params.outlier_window_s, params.outlier_sigmas, params.outlier_floor)
    return interpolate_gaps(x, time_s, params.max_gap_s)


def smooth(values: FloatArray, time_s: FloatArray, params: CleaningParams = CleaningParams()) -> FloatArray:
    """Zero-phase low-pass of an already cleaned signal."""
    return lowpass_zero_phase(values, time_s, params.cutoff_hz)


@dataclass(frozen=True)
class RepParams:
    """How forward rocks (reps) are found in the smoothed shin angle.

    Attributes:
        min_rise_deg: a rep's peak stands at least this far above the lower of its two neighbouring troughs
            (its prominence). Landmark noise after smoothing is well under 1 deg, a real rock is 10+ deg.
        min_separation_s: two peaks closer than this are one rep.
        hold_tolerance_deg: frames within this of the smoothed peak, contiguous with it, form the hold.
    """

    min_rise_deg: float = 4.0
    min_separation_s: float = 0.6
    hold_tolerance_deg: float = 1.0


@dataclass(frozen=True)
class Rep:
    """One forward rock: indices into the series. ``hold`` is [hold_start, hold_end] inclusive."""

    start: int
    peak: int
    end: int
    hold_start: int
    hold_end: int


def find_reps(smoothed_deg: FloatArray, time_s: FloatArray, params: RepParams = RepParams()) -> list[Rep]:
    """Peaks of the smoothed angle with enough prominence, each with its troughs and hold window."""
    x = np.asarray(smoothed_deg, dtype=np.float64)
    finite = np.isfinite(x)
    if finite.sum() < 3:
        return []
    t = np.asarray(time_s, dtype=np.float64)
    filled = np.interp(np.arange(len(x)), np.flatnonzero(finite), x[finite])
    # Pad with the series minimum so a rock that starts or ends the clip still has two troughs.
    low = float(filled.min())
    padded = np.concatenate([[low], filled, [low]])
    distance = max(1, int(params.min_separation_s / float(np.median(np.diff(t))))) if len(t) > 1 else 1
    peaks = signal.find_peaks(padded, prominence=params.min_rise_deg, distance=distance)[0] - 1
    reps = []
    for i, peak in enumerate(peaks):
        # Each rep lives between its neighbouring peaks, so reps never overlap.
        lo = int(peaks[i - 1]) if i > 0 else 0
        hi = int(peaks[i + 1]) if i + 1 < len(peaks) else len(x) - 1
        hold_start, hold_end = _hold(filled, int(peak), params.hold_tolerance_deg, lo, hi)
        hold = x[hold_start : hold_end + 1]
        if np.isfinite(hold).any():  # the peak is a measured frame, not one filled in at a NaN end
            peak = hold_start + int(np.nanargmax(hold))
        start = lo + int(np.argmin(filled[lo : hold_start + 1]))
        end = hold_end + int(np.argmin(filled[hold_end : hi + 1]))
        reps.append(Rep(start, int(peak), end, hold_start, hold_end))
    return reps


def _hold(x: FloatArray, peak: int, tolerance: float, start: int, end: int) -> tuple[int, int]:
    """Contiguous stretch around ``peak`` within ``tolerance`` of its value, inside [start, end]."""
    level = x[peak] - tolerance
    lo = peak
    while lo > start and x[lo - 1] >= level:
        lo -= 1
    hi = peak
    while hi < end and x[hi + 1] >= level:
        hi += 1
    return lo, hi
