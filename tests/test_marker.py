"""The printable marker: decodes to the right id at the right physical size, in PNG and in PDF."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from vision.errors import InputError
from vision.scene.marker import marker_pdf, max_size_cm, write_marker

A4_PT = (21.0 / 2.54 * 72, 29.7 / 2.54 * 72)


def _detect(gray: npt.NDArray[np.uint8]) -> tuple[int, float]:
    """(id, mean side in px) of the one marker in the image."""
    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    corners, ids, _ = cv2.aruco.ArucoDetector(dictionary).detectMarkers(gray)
    assert ids is not None
    assert len(ids) == 1
    quad = np.asarray(corners[0], np.float64).reshape(4, 2)
    sides = np.linalg.norm(np.roll(quad, -1, axis=0) - quad, axis=1)
    return int(ids[0][0]), float(sides.mean())


def _png_dpi(data: bytes) -> tuple[float, float]:
    """Pixels per inch from the PNG's pHYs chunk."""
    at = data.index(b"pHYs")
    x_per_m, y_per_m, unit = struct.unpack(">IIB", data[at + 4 : at + 13])
    assert unit == 1  # metres
    return x_per_m * 0.0254, y_per_m * 0.0254


@pytest.mark.parametrize(("size_cm", "marker_id", "dpi"), [(10.0, 0, 300), (5.0, 7, 200), (13.5, 0, 150)])
def test_png_decodes_to_the_id_at_the_physical_size(
    tmp_path: Path, size_cm: float, marker_id: int, dpi: int
) -> None:
    path = tmp_path / "marker.png"
    write_marker(path, size_cm=size_cm, marker_id=marker_id, dpi=dpi)
    data = path.read_bytes()
    assert _png_dpi(data) == pytest.approx((dpi, dpi), rel=1e-3)
    gray = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert gray.shape == pytest.approx((29.7 / 2.54 * dpi, 21.0 / 2.54 * dpi), abs=2)
    found_id, side_px = _detect(gray)
    assert found_id == marker_id
    assert side_px / dpi * 2.54 == pytest.approx(size_cm, rel=0.01)


def _pdf_objects(data: bytes) -> dict[int, tuple[bytes, bytes]]:
    """{object number: (dictionary, decompressed stream)} for the stream objects of a simple PDF."""
    objects: dict[int, tuple[bytes, bytes]] = {}
    for match in re.finditer(rb"(\d+) 0 obj\s*<<(.*?)>>\s*stream\r?\n", data, re.S):
        end = data.index(b"endstream", match.end())
        raw = data[match.end() : end].rstrip(b"\r\n")
        objects[int(match.group(1))] = (match.group(2), zlib.decompressobj().decompress(raw))
    return objects


def _png_from_pdf_image(header: bytes, rows: bytes) -> bytes:
    """A PNG file around a PDF image stream that uses PNG predictors (matplotlib's 1-bit indexed images)."""
    width = int(re.search(rb"/Width (\d+)", header).group(1))  # type: ignore[union-attr]
    height = int(re.search(rb"/Height (\d+)", header).group(1))  # type: ignore[union-attr]
    assert b"/BitsPerComponent 1" in header
    assert b"/Indexed" in header
    assert b"/Predictor" in header
    palette = re.search(rb"/Indexed /DeviceRGB 1 \((.{6})\)", header, re.S).group(1)  # type: ignore[union-attr]

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 3, 0, 0, 0))
        + chunk(b"PLTE", palette)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("size_cm", [10.0, 7.5])
@pytest.mark.parametrize("how", ["file", "download"])
def test_pdf_is_a4_with_the_marker_at_the_physical_size(tmp_path: Path, how: str, size_cm: float) -> None:
    """No PDF rasteriser is installed (pdftoppm, ghostscript, PyMuPDF): the page size, the embedded marker
    image and its placement on the page are read from the file itself. ``download``: the app's bytes."""
    path = tmp_path / "marker.pdf"
    if how == "file":
        write_marker(path, size_cm=size_cm)
        data = path.read_bytes()
    else:
        data = marker_pdf(size_cm)
    assert data.startswith(b"%PDF")
    media_box = re.search(rb"/MediaBox \[ 0 0 ([\d.]+) ([\d.]+) \]", data)
    assert media_box is not None
    assert (float(media_box.group(1)), float(media_box.group(2))) == pytest.approx(A4_PT, abs=0.5)

    objects = _pdf_objects(data)
    images = [(h, s) for h, s in objects.values() if b"/Subtype /Image" in h]
    assert len(images) == 1
    header, rows = images[0]
    gray = cv2.imdecode(np.frombuffer(_png_from_pdf_image(header, rows), np.uint8), cv2.IMREAD_GRAYSCALE)
    found_id, side_img_px = _detect(gray)
    assert found_id == 0

    # The page's content stream places the image with "q w 0 0 h x y cm /I1 Do Q" (w, h in points).
    content = b"".join(s for _, s in objects.values())
    placement = re.search(rb"([\d.]+) 0 0 ([\d.]+) ([\d.]+) ([\d.]+) cm /I\d+ Do", content)
    assert placement is not None
    width_pt = float(placement.group(1))
    side_cm = side_img_px * width_pt / gray.shape[1] / 72 * 2.54
    assert side_cm == pytest.approx(size_cm, rel=0.01)
    text = data.decode("latin-1")
    assert "DejaVuSans" in text  # the instructions are real text


@pytest.mark.parametrize("size_cm", [1.9, 0.0, -3.0, float("nan"), 14.0, 30.0])
def test_sizes_that_do_not_print_on_a4_raise(tmp_path: Path, size_cm: float) -> None:
    with pytest.raises(InputError, match="cannot be printed on A4"):
        write_marker(tmp_path / "m.pdf", size_cm=size_cm)


def test_largest_size_still_fits(tmp_path: Path) -> None:
    write_marker(tmp_path / "m.pdf", size_cm=max_size_cm())
    assert 12.0 < max_size_cm() < 15.0


@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    [
        ("m.svg", {}, "use a .pdf or .png"),
        ("m.pdf", {"marker_id": 50}, "not in DICT_4X4_50"),
        ("m.png", {"dpi": 10}, "not a printer resolution"),
    ],
)
def test_bad_arguments_raise_one_line(
    tmp_path: Path, name: str, kwargs: dict[str, int], message: str
) -> None:
    with pytest.raises(InputError, match=message) as err:
        write_marker(tmp_path / name, **kwargs)  # type: ignore[arg-type]
    assert "\n" not in str(err.value)


def test_unwritable_path_raises_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot write the marker") as err:
        write_marker(tmp_path / "missing_folder" / "m.pdf")
    assert "\n" not in str(err.value)
