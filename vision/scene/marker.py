"""A printable ArUco marker that gives the floor scale (see :mod:`vision.scene.calibration`).

The page is A4 with the marker (DICT_4X4_50, black square of the requested side, a one-module white quiet
zone) at its exact physical size, a line of instructions and a 10 cm ruler to check the print with. PDF keeps
the physical size whatever the printer's resolution; PNG stores its DPI so "actual size" printing works.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from matplotlib.figure import Figure

from vision.errors import InputError
from vision.scene.marker_detection import ARUCO_DICTIONARY, ARUCO_DICTIONARY_SIZE

A4_CM = (21.0, 29.7)
MIN_SIZE_CM = 2.0
_MODULES = 6  # a 4x4 marker is 4 data modules plus a black border module on each side
_MARGIN_CM = 1.5  # printers cannot print to the paper's edge
_TOP_CM = 2.0
_TEXT_AND_RULER_CM = 7.0  # below the marker: instructions and the ruler
_RULER_CM = 10.0
_PIXELS_PER_MODULE = 16  # of the embedded marker image; drawn without interpolation
_DPI_RANGE = (72, 1200)


def max_size_cm() -> float:
    """Largest black-square side that fits on A4 with its quiet zone, margins, instructions and ruler."""
    width_limit = (A4_CM[0] - 2 * _MARGIN_CM) * _MODULES / (_MODULES + 2)
    height_limit = (A4_CM[1] - _TOP_CM - _TEXT_AND_RULER_CM - _MARGIN_CM) * _MODULES / (_MODULES + 2)
    return math.floor(10 * min(width_limit, height_limit)) / 10


def marker_image(marker_id: int, pixels_per_module: int = _PIXELS_PER_MODULE) -> npt.NDArray[np.uint8]:
    """The marker with its one-module white quiet zone, ``pixels_per_module`` pixels per module."""
    dictionary = cv2.aruco.getPredefinedDictionary(ARUCO_DICTIONARY)
    square = cv2.aruco.generateImageMarker(dictionary, marker_id, _MODULES * pixels_per_module, borderBits=1)
    pad = pixels_per_module
    return np.asarray(
        cv2.copyMakeBorder(square, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(255,)), np.uint8
    )


def _instructions(size_cm: float, marker_id: int) -> list[str]:
    return [
        f"ArUco DICT_4X4_50 id {marker_id} \u2014 black square side {size_cm:.1f} cm",
        "print at 100% / actual size, no scaling \u2014 check with a ruler",
        "Lay it flat on the floor beside the front foot, on the camera side, edges parallel to the foot.",
    ]


def _check_arguments(path: Path, size_cm: float, marker_id: int, dpi: int) -> str:
    """The output format ("pdf" or "png"); raises InputError for anything that cannot be printed."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in ("pdf", "png"):
        raise InputError(f"cannot write a marker to '{path.name}': use a .pdf or .png file name")
    largest = max_size_cm()
    if not (math.isfinite(size_cm) and MIN_SIZE_CM <= size_cm <= largest):
        raise InputError(
            f"a {size_cm} cm marker cannot be printed on A4: choose a size from {MIN_SIZE_CM:.0f} to "
            f"{largest:.1f} cm"
        )
    if not 0 <= marker_id < ARUCO_DICTIONARY_SIZE:
        raise InputError(
            f"marker id {marker_id} is not in DICT_4X4_50: choose 0 to {ARUCO_DICTIONARY_SIZE - 1}"
        )
    if not _DPI_RANGE[0] <= dpi <= _DPI_RANGE[1]:
        raise InputError(f"{dpi} dpi is not a printer resolution: choose {_DPI_RANGE[0]} to {_DPI_RANGE[1]}")
    return suffix


def _draw_ruler(figure: Figure, left_cm: float, y_cm: float) -> None:
    axes = figure.axes[0]
    axes.plot([left_cm, left_cm + _RULER_CM], [y_cm, y_cm], color="black", linewidth=1.0)
    for mm in range(0, int(_RULER_CM * 10) + 1, 5):
        tick_cm = 0.5 if mm % 10 == 0 else 0.25
        x_cm = left_cm + mm / 10
        axes.plot([x_cm, x_cm], [y_cm, y_cm + tick_cm], color="black", linewidth=0.8)
    axes.text(left_cm, y_cm - 0.3, "0", ha="center", va="top", fontsize=9)
    axes.text(left_cm + _RULER_CM, y_cm - 0.3, f"{_RULER_CM:.0f} cm", ha="center", va="top", fontsize=9)
    axes.text(
        left_cm + _RULER_CM / 2,
        y_cm - 0.9,
        "this line must measure exactly 10 cm",
        ha="center",
        va="top",
        fontsize=9,
    )


def _page(size_cm: float, marker_id: int) -> Figure:
    """The A4 page, drawn in centimetres (origin at the bottom-left corner of the paper)."""
    width_cm, height_cm = A4_CM
    figure = Figure(figsize=(width_cm / 2.54, height_cm / 2.54))
    axes = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    axes.set_xlim(0, width_cm)
    axes.set_ylim(0, height_cm)
    axes.set_axis_off()
    outer_cm = size_cm * (_MODULES + 2) / _MODULES
    left_cm, top_cm = (width_cm - outer_cm) / 2, height_cm - _TOP_CM
    axes.imshow(
        marker_image(marker_id),
        cmap="gray",
        vmin=0,
        vmax=255,
        interpolation="nearest",
        extent=(left_cm, left_cm + outer_cm, top_cm - outer_cm, top_cm),
    )
    text_top_cm = top_cm - outer_cm - 0.8
    for i, line in enumerate(_instructions(size_cm, marker_id)):
        axes.text(width_cm / 2, text_top_cm - 0.7 * i, line, ha="center", va="top", fontsize=11)
    _draw_ruler(figure, (width_cm - _RULER_CM) / 2, text_top_cm - 4.0)
    return figure


def write_marker(path: Path, size_cm: float = 10.0, marker_id: int = 0, dpi: int = 300) -> None:
    """Write an A4 page with the ArUco marker at ``size_cm`` (black square side) as PDF or PNG (by suffix).

    Raises:
        InputError: a size that does not fit on A4 or is under 2 cm, an unknown id or suffix, or a path
            that cannot be written.
    """
    path = Path(path)
    file_format = _check_arguments(path, size_cm, marker_id, dpi)
    data = _render(size_cm, marker_id, file_format, dpi)
    try:
        path.write_bytes(data)
    except OSError as err:
        raise InputError(f"cannot write the marker to {path}: {err.strerror or err}") from err


def marker_pdf(size_cm: float = 10.0, marker_id: int = 0) -> bytes:
    """The A4 page of :func:`write_marker` as PDF bytes (for a download button)."""
    _check_arguments(Path("marker.pdf"), size_cm, marker_id, 300)
    return _render(size_cm, marker_id, "pdf", 300)


def _render(size_cm: float, marker_id: int, file_format: str, dpi: int) -> bytes:
    metadata = {"Title": f"ArUco DICT_4X4_50 id {marker_id}, {size_cm:.1f} cm"}
    buffer = io.BytesIO()
    _page(size_cm, marker_id).savefig(buffer, format=file_format, dpi=dpi, metadata=metadata)
    return buffer.getvalue()
