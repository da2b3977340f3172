"""Drill library and plan selection for improving ankle dorsiflexion.

The drills are written for this project from common physiotherapy and strength-and-conditioning practice.
A plan always runs soft tissue -> joint -> loading: loosen what limits the range, move the joint through it,
then load the new range so it sticks. The thresholds come from `vision.advice.norms`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from vision.advice.norms import (
    ASYMMETRY_CM,
    ASYMMETRY_DEG,
    HEALTHY_RANGE_CM,
    HEALTHY_RANGE_DEG,
    MDC_CM,
    MDC_DEG,
    Asymmetry,
    Classification,
    Side,
    SideResult,
    asymmetry,
    classify_side,
    worst,
)

__all__ = [
    "DISCLAIMER",
    "LIBRARY",
    "STATIC_STRETCH_KEYS",
    "Category",
    "Drill",
    "DrillPlan",
    "LimitFeel",
    "PlanItem",
    "SideResult",
    "get_drill",
    "plan",
]

DISCLAIMER = (
    "This is general exercise information, not medical advice. Stop any drill that causes sharp pain, and "
    "see a physiotherapist or doctor if pain, swelling or stiffness persists."
)

Category = Literal["soft_tissue", "joint", "loading"]
LimitFeel = Literal["front_pinch", "calf_pull", "achilles_pain", "unsure"]
CATEGORY_ORDER: tuple[Category, ...] = ("soft_tissue", "joint", "loading")


@dataclass(frozen=True)
class Drill:
    """One exercise. ``dose`` is what ONE set is; the plan decides how many sets each side gets."""

    key: str
    name: str
    category: Category
    purpose: str
    setup: str
    steps: tuple[str, ...]
    dose: str
    cautions: tuple[str, ...]


LIBRARY: tuple[Drill, ...] = (
    # --- soft tissue ----------------------------------------------------------------------------------------
    Drill(
        key="calf_foam_roll",
        name="Calf foam rolling / pin-and-stretch",
        category="soft_tissue",
        purpose="Ease tone in the calf muscles so the shin can travel further over the foot.",
        setup="Sit on the floor with the calf on a foam roller (or a massage ball), hands behind you.",
        steps=(
            "Lift your hips and roll slowly from just above the ankle to just below the knee.",
            "Stop on a tender spot and press into it (the pin).",
            "While pinned, point and pull the foot back 5-6 times (the stretch), then move on.",
            "Turn the leg in and out to cover the inner and outer calf.",
        ),
        dose="60-90 s per calf",
        cautions=(
            "Stay on the muscle: do not roll the Achilles tendon or the back of the knee.",
            "Aim for firm pressure, not pain that makes you hold your breath.",
        ),
    ),
    Drill(
        key="gastrocnemius_stretch",
        name="Straight-knee calf stretch (gastrocnemius)",
        category="soft_tissue",
        purpose="Lengthen the outer calf muscle, which crosses the knee and stretches with it straight.",
        setup="Stand facing a wall, hands on it, one foot stepped back, toes of both feet pointing forward.",
        steps=(
            "Keep the back knee straight and the back heel on the floor.",
            "Bend the front knee and move your hips towards the wall until you feel the back calf stretch.",
            "Hold still and breathe slowly.",
        ),
        dose="30 s hold",
        cautions=(
            "Do not let the back foot turn out or the arch collapse.",
            "A stretch feeling is fine; stop if it pinches at the front of the ankle or hurts the Achilles.",
        ),
    ),
    Drill(
        key="soleus_stretch",
        name="Bent-knee calf stretch (soleus)",
        category="soft_tissue",
        purpose="Lengthen the deep calf muscle, which only stretches when the knee is bent.",
        setup="Stand as for the straight-knee stretch but with the back foot only half a step behind.",
        steps=(
            "Bend both knees and sink straight down, keeping the back heel on the floor.",
            "Keep the back knee pointing over the middle toes.",
            "Hold where you feel the stretch low in the calf, near the Achilles.",
        ),
        dose="30 s hold",
        cautions=("Keep the heel down; if it lifts you have gone too far.",),
    ),
    Drill(
        key="passive_dorsiflexion_hold",
        name="Passive dorsiflexion hold (half-kneeling lean)",
        category="soft_tissue",
        purpose="Let body weight hold the ankle at the end of its range so the tissues get used to it.",
        setup="Half-kneel with the working foot flat in front, hands resting on the front knee.",
        steps=(
            "Lean your body weight forward so the front knee travels past the toes, heel down.",
            "Relax the ankle and let your weight do the work; do not push actively.",
            "Hold at the first firm stretch, then ease off.",
        ),
        dose="30-45 s hold",
        cautions=("Stop short of any pinch at the front of the ankle.",),
    ),
    Drill(
        key="kneeling_plantarflexion_stretch",
        name="Kneeling plantarflexion stretch",
        category="soft_tissue",
        purpose="Stretch the front of the ankle and shin, often tight when the ankle pinches in front.",
        setup="Kneel on a soft surface with the tops of the feet flat on the floor, toes pointing back.",
        steps=(
            "Sit back slowly towards your heels.",
            "For more stretch, lean back on your hands and lift the knees slightly.",
            "Hold where you feel a stretch over the front of the ankle.",
        ),
        dose="30 s hold",
        cautions=(
            "Use a cushion under the knees; skip it if kneeling hurts the knees.",
            "Cramp in the sole or shin means ease off.",
        ),
    ),
    Drill(
        key="dynamic_calf_stretch_3d",
        name="Dynamic 3D calf stretch with heel raises",
        category="soft_tissue",
        purpose="Take the calf through stretch in three directions, then contract it, to warm and free it.",
        setup="Staggered stance facing a wall, hands on it, working leg behind with the heel down.",
        steps=(
            "Rock forward into a calf stretch and back out, 5 times, with the back foot straight.",
            "Repeat with the back foot turned slightly in, then slightly out.",
            "Finish with 5 slow heel raises on the back leg.",
        ),
        dose="5 rocks in each of 3 directions + 5 heel raises",
        cautions=("Keep the movement smooth; no bouncing at the end of the range.",),
    ),
    Drill(
        key="swinging_leg_calf_stretch",
        name="Swinging-leg dynamic calf stretch (runners)",
        category="soft_tissue",
        purpose="Warm up the standing ankle rhythmically before a run, without long holds.",
        setup="Stand on the working leg beside a wall or post, one hand on it for balance.",
        steps=(
            "Swing the free leg forward and back in a relaxed arc.",
            "Each time it swings forward, let the standing knee bend and drift over the toes, heel down.",
            "Let the standing knee straighten as the free leg swings back; keep a steady rhythm.",
        ),
        dose="15 swings",
        cautions=("Keep the standing heel on the ground throughout.",),
    ),
    # --- joint ----------------------------------------------------------------------------------------------
    Drill(
        key="seated_ankle_mobilization",
        name="Seated ankle mobilisation (hands guiding the foot)",
        category="joint",
        purpose="Move the ankle joint gently through its range with your hands, without body weight.",
        setup="Sit with the working ankle resting across the other knee or on a low stool.",
        steps=(
            "Hold the heel in one hand and the front of the foot in the other.",
            "Guide the foot up towards the shin while the heel hand eases the heel down and forward.",
            "Return to neutral, then circle the ankle slowly in both directions.",
        ),
        dose="10 slow repetitions + 5 circles each way",
        cautions=("Gentle and pain-free only; this is a warm-up, not a forced stretch.",),
    ),
    Drill(
        key="banded_talocrural_mobilization",
        name="Banded ankle joint mobilisation",
        category="joint",
        purpose="Help the ankle bone (talus) glide back as the shin moves forward, easing a pinch in front.",
        setup=(
            "Anchor a heavy loop band low behind you; put it around the front of the ankle, just below the "
            "ankle bones, and step forward to tension it. Half-kneel with the working foot flat in front."
        ),
        steps=(
            "With the band pulling the ankle backwards, rock the knee forward over the toes, heel down.",
            "Pause 2 s at the end of the range, then rock back.",
            "Vary the direction: over the big toe, the middle toes and the little toe.",
        ),
        dose="10-15 slow rocks",
        cautions=(
            "The band should sit on the bony front of the ankle, not on the foot.",
            "A stretch at the back is fine; stop if the pinch at the front gets worse.",
        ),
    ),
    Drill(
        key="knee_to_wall_rocks",
        name="Knee-to-wall rocks",
        category="joint",
        purpose="Practise the test movement itself, nudging the end of the range a little further.",
        setup="Face a wall, working foot a few centimetres from it, the other foot behind for balance.",
        steps=(
            "Drive the knee forward over the middle toes to touch the wall, heel down.",
            "Rock back and repeat; when it gets easy, move the foot back a little.",
        ),
        dose="10-15 rocks",
        cautions=("Keep the heel down and the arch up; do not let the knee cave inwards.",),
    ),
    # --- loading --------------------------------------------------------------------------------------------
    Drill(
        key="active_dorsiflexion_hold",
        name="Active dorsiflexion hold",
        category="loading",
        purpose="Teach the front-of-shin muscles to pull the ankle into its new range and hold it there.",
        setup="Sit on the floor with the working leg straight, or stand with the heel on a low step.",
        steps=(
            "Pull the toes and foot up towards the shin as far as you can, using only the shin muscles.",
            "Hold at the top, then lower slowly.",
        ),
        dose="5 holds of 5-10 s",
        cautions=("Cramp at the front of the shin means rest and do fewer holds.",),
    ),
    Drill(
        key="forefoot_elevated_squat",
        name="Forefoot-elevated squat",
        category="loading",
        purpose="Load the ankle through deep dorsiflexion, strengthening the end of the range.",
        setup="Stand with the balls of both feet on a weight plate or board (1-3 cm), heels on the floor.",
        steps=(
            "Squat slowly, letting the knees travel forward over the toes with the heels down.",
            "Pause at the bottom for 2 s, then stand up.",
            "Hold a support at first; add a weight once it feels easy.",
        ),
        dose="8-12 slow reps",
        cautions=(
            "Keep the heels down and the knees over the middle toes.",
            "Lower the elevation if the Achilles or the front of the ankle complains.",
        ),
    ),
    Drill(
        key="anterior_reach_slider",
        name="Anterior reach with a slider",
        category="loading",
        purpose="Control the shin moving forward over the foot on one leg, as in running and stairs.",
        setup="Stand on the working leg with the other foot on a slider (or a towel on a smooth floor).",
        steps=(
            "Bend the standing knee and slide the other foot straight forward as far as you control.",
            "Keep the standing heel down and the knee over the middle toes.",
            "Slide back and stand tall.",
        ),
        dose="8-10 reaches",
        cautions=("Reach only as far as you can return from without losing balance.",),
    ),
    Drill(
        key="calf_isometric_hold",
        name="Calf isometric hold",
        category="loading",
        purpose="Load the calf and Achilles without moving the ankle; usually well tolerated when sore.",
        setup="Stand on both feet near a wall for balance, on flat ground (not on the edge of a step).",
        steps=(
            "Rise partway onto the balls of the feet, then shift more weight onto the working leg.",
            "Hold steady at that height, breathing normally.",
            "Lower slowly and rest 1-2 minutes before the next hold.",
        ),
        dose="30-45 s hold",
        cautions=(
            "Discomfort up to about 3 out of 10 that settles by the next morning is acceptable.",
            "Work from flat ground only: do not let the heel drop below the toes.",
        ),
    ),
    Drill(
        key="slow_heel_raise",
        name="Slow heel raise (flat ground)",
        category="loading",
        purpose="Build calf and Achilles capacity with slow, controlled lifting.",
        setup="Stand on flat ground near a wall for balance.",
        steps=(
            "Rise onto the balls of both feet over 3 s.",
            "Lower over 3 s until the heels touch the floor.",
            "Progress to mostly the working leg, then to one leg, as pain allows.",
        ),
        dose="10-15 slow reps",
        cautions=(
            "Stay on flat ground while the Achilles is sore; do not drop the heel off a step.",
            "Pain that is worse the next morning means reduce the load.",
        ),
    ),
    Drill(
        key="uneven_ground_walking",
        name="Uneven-ground walking",
        category="loading",
        purpose="Let the ankle use its range in many directions, as it must on real ground.",
        setup="Find grass, sand, gravel paths or a trail; start in ordinary shoes.",
        steps=(
            "Walk at an easy pace, looking ahead rather than at your feet.",
            "Include gentle uphill sections, which take the shin forward over the foot.",
        ),
        dose="5-10 min walk",
        cautions=("Start on mildly uneven ground and build up; avoid it with a recent ankle sprain.",),
    ),
)

# Drills that hold a stretch at the end of the range: left out when the Achilles hurts.
STATIC_STRETCH_KEYS = frozenset(
    {
        "gastrocnemius_stretch",
        "soleus_stretch",
        "passive_dorsiflexion_hold",
        "kneeling_plantarflexion_stretch",
    }
)


def get_drill(key: str) -> Drill:
    """The library drill with this key. Raises KeyError for an unknown key."""
    for drill in LIBRARY:
        if drill.key == key:
            return drill
    raise KeyError(key)


# Drill keys per limit feel: (core, extra when limited). Order within a list does not matter: plans are
# sorted soft tissue -> joint -> loading.
_FEEL_DRILLS: tuple[tuple[LimitFeel, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "front_pinch",
        ("calf_foam_roll", "banded_talocrural_mobilization", "knee_to_wall_rocks", "forefoot_elevated_squat"),
        ("kneeling_plantarflexion_stretch", "seated_ankle_mobilization", "anterior_reach_slider"),
    ),
    (
        "calf_pull",
        ("calf_foam_roll", "gastrocnemius_stretch", "soleus_stretch", "knee_to_wall_rocks"),
        ("dynamic_calf_stretch_3d", "forefoot_elevated_squat", "active_dorsiflexion_hold"),
    ),
    (
        "unsure",
        ("calf_foam_roll", "soleus_stretch", "knee_to_wall_rocks", "forefoot_elevated_squat"),
        ("banded_talocrural_mobilization", "anterior_reach_slider"),
    ),
    # Tendon pain: load it, do not stretch it or mobilise aggressively.
    ("achilles_pain", ("calf_isometric_hold", "slow_heel_raise"), ()),
)
_MAINTENANCE_DRILLS = ("swinging_leg_calf_stretch", "knee_to_wall_rocks", "uneven_ground_walking")

_FEEL_REASONS: tuple[tuple[LimitFeel, str], ...] = (
    (
        "front_pinch",
        "A pinch at the front of the ankle usually means the joint itself is blocking, more than the calf, "
        "so the plan emphasises joint mobilisation (banded mobilisation and knee-to-wall rocks).",
    ),
    (
        "calf_pull",
        "A pull in the calf or Achilles area points to tight soft tissue, so the plan starts with rolling "
        "and calf stretches before moving the joint.",
    ),
    (
        "unsure",
        "Without a clear feel for what stops you, the plan mixes soft-tissue, joint and loading work.",
    ),
    (
        "achilles_pain",
        "Achilles pain: a sore tendon usually settles with gradual loading rather than stretching, so static "
        "stretches and forceful mobilisation are left out. If the pain persists for more than a couple of "
        "weeks, gets worse, or began with a sudden snap, see a physiotherapist or doctor.",
    ),
)
_ORDER_REASON = (
    "The order is soft tissue, then joint, then loading: loosen what holds the ankle back, move the joint "
    "into the new range, then load that range so it sticks."
)


@dataclass(frozen=True)
class PlanItem:
    """One drill in a plan with the number of sets for each side it applies to."""

    drill: Drill
    sets_by_side: tuple[tuple[Side, int], ...]

    @property
    def sides(self) -> tuple[Side, ...]:
        return tuple(side for side, _ in self.sets_by_side)

    @property
    def dose(self) -> str:
        """What one set is (the drill's dose)."""
        return self.drill.dose

    def sets(self, side: Side) -> int:
        """Sets for ``side`` (0 if the drill is not done on that side)."""
        return dict(self.sets_by_side).get(side, 0)


@dataclass(frozen=True)
class DrillPlan:
    items: tuple[PlanItem, ...]
    rationale: tuple[str, ...]
    classification_by_side: tuple[tuple[Side, Classification], ...]
    maintenance: bool
    disclaimer: str = DISCLAIMER


def plan(left: SideResult | None, right: SideResult | None, limit_feel: LimitFeel) -> DrillPlan:
    """Choose drills and sets from the measured sides and where the person feels the limit.

    Raises ValueError when neither side was measured or the limit feel is unknown.
    """
    if limit_feel not in get_args(LimitFeel):
        raise ValueError(f"unknown limit feel {limit_feel!r}; expected one of {get_args(LimitFeel)}")
    measured = _measured_sides(left, right)
    bands = tuple((side, classify_side(result)) for side, result in measured)
    sets_by_side, asymmetry_reason = _sets_by_side(left, right, dict(bands))
    maintenance = limit_feel != "achilles_pain" and all(sets == 1 for _, sets in sets_by_side)
    keys = _MAINTENANCE_DRILLS if maintenance else _drill_keys(limit_feel, worst(band for _, band in bands))
    items = tuple(PlanItem(drill, sets_by_side) for drill in _ordered(keys))
    rationale = (
        *(_side_reason(side, result, classify_side(result)) for side, result in measured),
        *([asymmetry_reason] if asymmetry_reason else []),
        *_plan_reasons(limit_feel, maintenance, len(measured)),
    )
    return DrillPlan(items, rationale, bands, maintenance)


def _measured_sides(left: SideResult | None, right: SideResult | None) -> tuple[tuple[Side, SideResult], ...]:
    sides: list[tuple[Side, SideResult]] = []
    if left is not None:
        sides.append(("left", left))
    if right is not None:
        sides.append(("right", right))
    if not sides:
        raise ValueError("plan() needs at least one measured side")
    return tuple(sides)


def _sets_by_side(
    left: SideResult | None, right: SideResult | None, bands: dict[Side, Classification]
) -> tuple[tuple[tuple[Side, int], ...], str]:
    """Sets per side, and a sentence about the asymmetry ("" with one side)."""
    if left is None or right is None:
        ((side, band),) = bands.items()
        return ((side, _sets_for(band)),), ""
    diff = asymmetry(left, right)
    stiffer = diff.stiffer_side
    if not diff.significant or stiffer is None:
        sets = _sets_for(worst(bands.values()))
        return (("left", sets), ("right", sets)), _symmetric_reason()
    other: Side = "right" if stiffer == "left" else "left"
    stiffer_sets = max(_sets_for(bands[stiffer]), 2)
    other_sets = max(1, min(_sets_for(bands[other]), stiffer_sets - 1))
    left_sets, right_sets = (stiffer_sets, other_sets) if stiffer == "left" else (other_sets, stiffer_sets)
    return (("left", left_sets), ("right", right_sets)), _asymmetric_reason(diff, stiffer_sets, other_sets)


def _asymmetric_reason(diff: Asymmetry, stiffer_sets: int, other_sets: int) -> str:
    distance = f" and {diff.diff_cm:.1f} cm" if diff.diff_cm is not None else ""
    return (
        f"Your {diff.stiffer_side} ankle is stiffer ({diff.diff_deg:.1f} deg{distance} difference), more "
        f"than the {ASYMMETRY_DEG:g} deg / {ASYMMETRY_CM:g} cm that counts as a real difference between "
        f"sides, so it gets more sets ({stiffer_sets} against {other_sets})."
    )


def _sets_for(band: Classification) -> int:
    if band == "limited":
        return 3
    if band == "borderline":
        return 2
    return 1


def _drill_keys(limit_feel: LimitFeel, band: Classification) -> tuple[str, ...]:
    for feel, core, extra in _FEEL_DRILLS:
        if feel == limit_feel:
            return core + extra if band == "limited" else core
    raise ValueError(f"unknown limit feel {limit_feel!r}")


def _ordered(keys: Iterable[str]) -> tuple[Drill, ...]:
    drills = [get_drill(key) for key in dict.fromkeys(keys)]
    return tuple(sorted(drills, key=lambda drill: CATEGORY_ORDER.index(drill.category)))


def _side_reason(side: Side, result: SideResult, band: Classification) -> str:
    distance = f", {result.knee_to_wall_cm:.1f} cm knee-to-wall" if result.knee_to_wall_cm is not None else ""
    low_deg, high_deg = HEALTHY_RANGE_DEG
    low_cm, high_cm = HEALTHY_RANGE_CM
    return (
        f"{side.capitalize()} ankle: {result.shin_angle_deg:.1f} deg shin angle{distance}: {band} "
        f"(healthy adults are usually about {low_deg:g}-{high_deg:g} deg and {low_cm:g}-{high_cm:g} cm)."
    )


def _symmetric_reason() -> str:
    return (
        f"The two sides are within {ASYMMETRY_DEG:g} deg / {ASYMMETRY_CM:g} cm of each other, which is "
        "normal variation, so both get the same work."
    )


def _plan_reasons(limit_feel: LimitFeel, maintenance: bool, n_sides: int) -> tuple[str, ...]:
    retest = (
        f"Re-test in 4-6 weeks; a change smaller than {MDC_DEG:g} deg or {MDC_CM:g} cm may be measurement "
        "error rather than real progress."
    )
    if maintenance:
        status = (
            "ankles are in the normal range and match each other"
            if n_sides == 2
            else ("ankle is in the normal range")
        )
        return (f"Your {status}: a short routine two or three times a week keeps it that way.", retest)
    feel_reason = next(reason for feel, reason in _FEEL_REASONS if feel == limit_feel)
    return (feel_reason, _ORDER_REASON, retest)
