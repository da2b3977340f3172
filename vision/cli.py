"""The ``dorsiflex`` command: measure a lunge-test clip, many clips (``batch``, in :mod:`vision.cli_batch`),
or print a floor marker.

Only this module and :mod:`vision.cli_batch` write to stdout/stderr. Results go to stdout (a short summary,
or one JSON object with ``--json``); a clip measured without a result (no valid rep, not a lunge test) prints
what was seen and why, and exits 3; errors are one ``error: ...`` line on stderr (exit 2); progress appears
on stderr only when it is a terminal.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import math
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from vision import cli_batch
from vision.advice import norms
from vision.errors import InputError
from vision.startup import limit_heap_growth

if TYPE_CHECKING:
    from vision.results import Measurement, PeakResult, RepResult

EXIT_OK = 0
EXIT_INPUT = 2
EXIT_NO_RESULT = 3  # the clip was measured, but no rep gives a result (Measurement.status is not "ok")
EXIT_INTERRUPTED = 130
DEFAULT_ANALYSIS_FPS = 15.0  # vision.pipeline.MeasureOptions.analysis_fps (not imported: keeps --help fast)
DEFAULT_COARSE_FPS = 0.0  # vision.pipeline.MeasureOptions.coarse_fps (None there: off)
TAPE_SEM_CM = 0.5  # standard error of measurement of a clinician's tape measure (knee-to-wall)
STATUS_OK = "ok"  # vision.results.STATUS_OK (not imported: keeps --help fast)
AXIS_PLUS_OFFSET = "knee-ankle axis + typical offset"  # vision.results.AXIS_PLUS_OFFSET
EXIT_CODES_EPILOG = (
    "exit codes: 0 a result; 3 the clip was measured but gives no result (no valid rep, or not a lunge "
    "test): the reps and the reason are printed, and with --json `peak` is null and `status` says why; "
    "2 an unreadable or unusable clip or a bad option (one `error:` line on stderr); 130 interrupted."
)


# ---------------------------------------------------------------- argument parsing


def _positive_float(text: str) -> float:
    value = _non_negative_float(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"expected a number of 0 or more, got {text!r}")
    return value


#: The options of ``measure`` that change a result, shared with ``batch`` (which measures clips the same way).
MEASURE_OPTIONS: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    (
        ("--side",),
        {
            "choices": ("left", "right"),
            "help": "tested (front) leg; default: chosen automatically as the leg planted in front",
        },
    ),
    (
        ("--foot-length-cm",),
        {
            "type": _positive_float,
            "metavar": "CM",
            "help": "heel-to-toe length of the tested foot (or shoe) as filmed, in cm (5-40); gives "
            "distances in cm when no printed marker or A4/Letter sheet lies on the floor (and checks it when "
            "one does)",
        },
    ),
    (
        ("--marker-size-cm",),
        {
            "type": _positive_float,
            "default": 10.0,
            "metavar": "CM",
            "help": "printed side of the ArUco marker's black square lying on the floor, in cm "
            "(default: %(default)g; `dorsiflex marker` prints one)",
        },
    ),
    (
        ("--paper",),
        {
            "choices": ("a4", "letter"),
            "help": "size of the white sheet lying on the floor as a scale (a side view cannot tell A4 from "
            "US Letter; default: A4, with a warning)",
        },
    ),
    (
        ("--analysis-fps",),
        {
            "type": _positive_float,
            "default": DEFAULT_ANALYSIS_FPS,
            "metavar": "FPS",
            "help": "run pose estimation on about this many frames per second of video, in fps "
            "(default: %(default)g; every frame when the clip's rate is lower)",
        },
    ),
    (
        ("--coarse-fps",),
        {
            "type": _non_negative_float,
            "default": DEFAULT_COARSE_FPS,
            "metavar": "FPS",
            "help": "coarse-to-fine in time: away from the deepest part of each rock, run pose estimation on "
            "only about this many frames per second (default: %(default)g, off: every analysed frame)",
        },
    ),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dorsiflex",
        description=(
            "Measure ankle dorsiflexion (the weight-bearing lunge / knee-to-wall test) from a side-on video. "
            "Angles are in degrees (deg), distances in pixels (px) or centimetres (cm), times in seconds (s)."
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    m = commands.add_parser(
        "measure",
        help="measure the shin angle at the deepest heel-down lunge in a clip",
        description=(
            "Measure the lunge test in CLIP: the shin's forward lean from vertical (deg) at the deepest rep "
            "with the heel down, the knee-over-toe distance (px, foot lengths, and cm with "
            "--foot-length-cm), and every forward rock (rep)."
        ),
        epilog=EXIT_CODES_EPILOG,
    )
    m.add_argument("clip", metavar="CLIP", type=Path, help="side-on video of the lunge (.mp4, .mov, ...)")
    for flags, kwargs in MEASURE_OPTIONS:
        m.add_argument(*flags, **kwargs)
    m.add_argument(
        "--json", action="store_true", help="print one JSON object (the full result) instead of a summary"
    )
    m.add_argument(
        "--frames-csv",
        type=Path,
        metavar="FILE.csv",
        help="write one row per analysed frame: time (s), shin angles (deg), knee over toe (px), "
        "heel lift (px), the nearest hand to the knee (shin lengths), landmark visibilities (0-1)",
    )
    m.add_argument(
        "--annotate",
        type=Path,
        metavar="FILE.mp4",
        help="write an H.264 copy of the clip (same fps; same size up to 1920 px on the long side) with the "
        "leg, shin line, vertical reference and angle (deg) drawn on every frame",
    )
    m.add_argument(
        "--peak-image",
        type=Path,
        metavar="FILE.png",
        help="write the frame of the result (deepest valid rep) as a PNG with the angle (deg) drawn on it",
    )
    m.set_defaults(handler=_measure_command)

    k = commands.add_parser(
        "marker",
        help="write a printable ArUco marker (A4 PDF) to lay on the floor as a scale reference",
        description="Write a printable ArUco marker to lay flat on the floor beside the foot.",
    )
    k.add_argument(
        "--size-cm",
        type=_positive_float,
        default=10.0,
        metavar="CM",
        help="side of the black square when printed at 100%% scale, in cm (default: %(default)g)",
    )
    k.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("marker.pdf"),
        metavar="FILE.pdf",
        help="file to write: PDF, or PNG by its suffix; an A4 page (default: %(default)s)",
    )
    k.set_defaults(handler=_marker_command)
    cli_batch.add_parser(commands, MEASURE_OPTIONS)
    return parser


# ---------------------------------------------------------------- commands


def _measure_command(args: argparse.Namespace) -> int:
    # Imported here so that `--help` and `marker` do not load OpenCV, SciPy and MediaPipe.
    from vision.output.export import shown_frame, write_annotated_video
    from vision.pipeline import measure
    from vision.results import write_frames_csv

    clip: Path = args.clip
    outputs = [p for p in (args.frames_csv, args.annotate, args.peak_image) if p is not None]
    _check_outputs(clip, outputs)
    if args.annotate is not None and args.annotate.suffix.lower() != ".mp4":
        raise InputError(f"--annotate writes an MP4 video: name the file *.mp4, not {args.annotate.name}")
    options = cli_batch.measure_options(args)
    with _Progress("measuring") as progress:
        measurement = measure(clip, options, progress=progress.update)
    if args.frames_csv is not None:
        write_frames_csv(measurement.frames, args.frames_csv)
    peak_image = args.peak_image if shown_frame(measurement) is not None else None
    if args.peak_image is not None and peak_image is None:
        sys.stderr.write(f"note: {args.peak_image} not written: the clip has no rep to show\n")
    if args.annotate is not None or peak_image is not None:
        label = "annotating" if args.annotate is not None else "peak image"
        with _Progress(label) as progress:
            write_annotated_video(clip, measurement, args.annotate, peak_image, progress=progress.update)
    if args.json:
        sys.stdout.write(json.dumps(measurement.to_dict(), indent=2, allow_nan=False) + "\n")
    else:
        sys.stdout.write(format_summary(measurement, clip))
    return EXIT_OK if has_result(measurement) else EXIT_NO_RESULT


def has_result(m: Measurement) -> bool:
    """True when the engine stands behind a result (status ok, with a peak)."""
    return m.status == STATUS_OK and m.peak is not None


def _check_outputs(clip: Path, outputs: Sequence[Path]) -> None:
    """Fail before the long analysis when an output cannot be written or would overwrite the clip."""
    for path in outputs:
        if path.exists() and clip.exists() and path.resolve() == clip.resolve():
            raise InputError(f"{path} is the input clip: choose another file name for the output")
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise InputError(f"cannot write {path}: folder {parent} does not exist")
        if path.is_dir():
            raise InputError(f"cannot write {path}: it is a folder, give a file name")
    if len({p.resolve() for p in outputs}) < len(outputs):
        raise InputError("two outputs have the same file name: give each output its own file")


def _marker_command(args: argparse.Namespace) -> int:
    try:
        marker = importlib.import_module("vision.scene.marker")
    except ModuleNotFoundError as err:
        if err.name != "vision.scene.marker":
            raise
        raise InputError(
            "this version of dorsiflex cannot write markers (vision.scene.marker is missing)"
        ) from None
    marker.write_marker(args.output, size_cm=args.size_cm)
    sys.stdout.write(
        f"wrote {args.output}: print it at 100% scale (no 'fit to page'), then check the square "
        f"measures {args.size_cm:g} cm\n"
    )
    return EXIT_OK


# ---------------------------------------------------------------- human summary


def _deg(value: float | None) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.1f} deg"


def _signed(value: float, digits: int = 1) -> str:
    """``value`` with its sign, without a "-0.0"."""
    rounded = round(value, digits) + 0.0
    return f"{rounded:+.{digits}f}"


def _plus_minus(value: float | None, uncertainty: float | None) -> str:
    """``value`` in degrees with its 1-sigma uncertainty when there is one ("n/a" without a value)."""
    text = _deg(value)
    if text != "n/a" and uncertainty is not None and math.isfinite(uncertainty):
        text += f" +- {uncertainty:.1f}"
    return text


def _rep_line(rep: RepResult, is_result: bool) -> str:
    status = "valid" if rep.valid else f"not valid: {rep.reason}"
    if rep.valid and not rep.heel_visible:
        status += " (heel not visible: not checked for a lift)"
    mark = "  <- result" if is_result else ""
    when = f"peak at {rep.peak_time_s:.2f} s (frame {rep.peak_frame})"
    axis = " (from the knee-ankle axis)" if rep.shin_angle_source == AXIS_PLUS_OFFSET else ""
    return f"  rep {rep.index}: {when}, {_deg(rep.shin_angle_deg)}{axis}, {status}{mark}\n"


def _angle_lines(peak: PeakResult) -> str:
    """The headline angle (front of the shin, or where it came from instead) and the tibia axis."""
    if peak.shin_angle_source == AXIS_PLUS_OFFSET:
        what = "front of the shin not seen: knee-ankle axis + typical offset"
    else:
        what = "front of the shin, as an inclinometer reads it"
    heel = "heel down" if peak.heel_down else "HEEL LIFTED"
    return (
        f"Shin angle ({what}): {_plus_minus(peak.shin_angle_deg, peak.shin_angle_uncertainty_deg)}, "
        f"deepest valid rep at {peak.time_s:.2f} s, {heel}\n"
        f"Tibia axis (knee-ankle line): {_plus_minus(peak.tibia_axis_deg, peak.tibia_axis_uncertainty_deg)}\n"
    )


_SCALE_NAMES = {"aruco": "ArUco marker", "a4": "A4 sheet", "letter": "Letter sheet", "foot": "foot length"}


def _camera_line(m: Measurement) -> str:
    if not m.camera_roll_applied:
        return "Camera: level unknown (no straight edges found; measured against the image vertical)\n"
    if m.camera_tilt_deg is None:
        tilt = "tilt not measured (assumed level)"
    else:
        tilt = f"tilt {_signed(m.camera_tilt_deg)} deg"
    if m.camera_yaw_deg is None:
        yaw = "yaw not measured (assumed side-on; a marker or the lines of the room give it)"
    else:
        yaw = f"yaw {_signed(m.camera_yaw_deg)} deg from side-on"
    return (
        f"Camera: roll {_signed(m.camera_roll_deg)} deg, {tilt}, {yaw} "
        f"(from the {m.camera_source}; corrected)\n"
    )


def _knee_over_toe_line(m: Measurement) -> str:
    peak = m.peak
    if peak is None:
        return ""
    silhouette = m.knee_over_toe_points == "silhouette"
    knee, toe = ("front of the knee", "toe tip") if silhouette else ("knee joint", "toes")
    where = "ahead of" if peak.knee_over_toe_px > 0 else "behind"
    if peak.knee_over_toe_cm is not None:
        error = peak.knee_over_toe_uncertainty_cm
        plus_minus = f" +- {error:.1f}" if error is not None and math.isfinite(error) else ""
        rough = f", rough: more than {norms.ROUGH_CM:g} cm of doubt" if norms.rough_cm(error) else ""
        scale = f", {_signed(peak.knee_over_toe_cm)}{plus_minus} cm{rough}"
        how = f"; scale from the {_SCALE_NAMES.get(m.scale.source, m.scale.source)}"
        if m.toe_tip_source:
            how = f"; toe tip from the {m.toe_tip_source}{how}"
    else:
        scale, how = "", ""  # the engine warns that there is no scale
    ratio = _signed(peak.knee_over_toe_foot_ratio, 2)
    return (
        f"Knee over toe: {_signed(peak.knee_over_toe_px, 0)} px = {ratio} foot lengths{scale} "
        f"({knee} {where} the {toe}{how})\n"
    )


def _wall_line(m: Measurement) -> str:
    """Toe to wall (the knee-to-wall score when the knee reached it), or "" when no wall was seen."""
    wall = m.peak.wall if m.peak else None
    if wall is None:
        return ""
    if wall.toe_to_wall_cm is not None:
        error = wall.toe_to_wall_uncertainty_cm
        plus_minus = f" +- {error:.1f}" if error is not None and math.isfinite(error) else ""
        rough = f", rough: more than {norms.ROUGH_CM:g} cm of doubt" if norms.rough_cm(error) else ""
        distance = f"{wall.toe_to_wall_cm:.1f}{plus_minus} cm{rough}"
    else:
        distance = f"{wall.toe_to_wall_px:.0f} px (no scale for cm)"
    reached = "the knee reached the wall" if wall.knee_reached_wall else "the knee stopped short of the wall"
    return f"Toe to wall: {distance} ({reached})\n"


def format_summary(m: Measurement, clip: Path) -> str:
    """The short human-readable result printed by ``dorsiflex measure``.

    Without a result (``status`` not ok) it says so and why, lists the reps that were seen, and gives no
    figure as the result.
    """
    v = m.video
    out = [f"{clip.name}: {v.width}x{v.height}, {v.fps:g} fps, {v.duration_s:.1f} s"]
    if v.analysed_scale < 1:
        out.append(" (analysed at {}x{})".format(*v.analysed_size_px))
    out.append(
        f"; pose estimated on 1 frame in {m.analysed_every_n_frames}\n"
        if m.analysed_every_n_frames > 1
        else "\n"
    )
    out.append(f"Tested leg: {m.side} (facing {m.facing})\n")
    if m.leg_choice:
        out.append(f"Leg choice: {m.leg_choice}\n")
    peak = m.peak
    if peak is None or not has_result(m):
        out.append(f"NO RESULT: {_no_result_reason(m)}\n")
        peak = None
    else:
        out.append(_angle_lines(peak))
        out.append(_knee_over_toe_line(m))
        out.append(_wall_line(m))
    out.append(_camera_line(m))
    out.append(f"Reps ({len(m.reps)}):\n")
    out.extend(_rep_line(rep, peak is not None and rep.peak_frame == peak.frame) for rep in m.reps)
    if m.valid_spread_deg is not None:
        out.append(f"Spread across valid reps: {m.valid_spread_deg:.1f} deg\n")
    out.extend(f"Warning: {warning}\n" for warning in m.warnings)
    if peak is not None:
        low, high = norms.HEALTHY_RANGE_DEG
        out.append(
            f"Norms: healthy adults ~{low:.0f}-{high:.0f} deg (inclinometer on the front of the shin); "
            f"clinician tape measure SEM ~{TAPE_SEM_CM} cm, "
            f"minimal detectable change ~{norms.MDC_DEG:g} deg.\n"
        )
    return "".join(out)


def _no_result_reason(m: Measurement) -> str:
    """Why the clip gives no result, in one line (the engine's words when it gave them)."""
    if m.status_message:
        return _one_line(m.status_message)
    if not m.reps:
        return "no forward rock found: rock the knee forward toward the wall and back 2-3 times, heel down"
    return "no rep counted (see the reps below): film again with the heel down and the foot still"


# ---------------------------------------------------------------- plumbing


class _Progress:
    """A one-line percentage on stderr, only when stderr is a terminal; erased when done."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = _isatty(self.stream)
        self._shown = -1

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled and self._shown >= 0:
            self.stream.write("\r" + " " * (len(self.label) + 6) + "\r")
            self.stream.flush()

    def update(self, fraction: float) -> None:
        percent = int(100 * min(max(fraction, 0.0), 1.0))
        if self.enabled and percent != self._shown:
            self._shown = percent
            self.stream.write(f"\r{self.label} {percent:3d}%")
            self.stream.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "unknown error"


@contextlib.contextmanager
def _python_only_stderr() -> Iterator[None]:
    """Send native writes to file descriptor 2 to /dev/null while Python's ``sys.stderr`` keeps the terminal.

    MediaPipe (TFLite, absl) logs from its own threads, sometimes after the call that started them returned,
    so silencing fd 2 around each call is not enough. Does nothing when ``sys.stderr`` is not fd 2 (tests
    capturing it, embedding).
    """
    try:
        is_fd2 = sys.stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):
        is_fd2 = False
    if not is_fd2:
        yield
        return
    original = sys.stderr
    original.flush()
    saved = os.dup(2)
    sys.stderr = open(  # noqa: SIM115 - closed in the finally block below
        saved, "w", buffering=1, encoding=original.encoding, errors="backslashreplace", closefd=False
    )
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    try:
        yield
    finally:
        sys.stderr.flush()
        sys.stderr.close()
        sys.stderr = original
        os.dup2(saved, 2)
        os.close(saved)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dorsiflex`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    limit_heap_growth()
    try:
        with _python_only_stderr():
            code: int = args.handler(args)
            sys.stdout.flush()
    except InputError as err:
        sys.stderr.write(f"error: {_one_line(str(err))}\n")
        return EXIT_INPUT
    except KeyboardInterrupt:
        sys.stderr.write("\n" if _isatty(sys.stderr) else "")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # stdout was closed early (e.g. piped into `head`): stop quietly, without a flush error at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
