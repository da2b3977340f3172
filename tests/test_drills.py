"""Drill library content and plan selection."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import get_args

import pytest

from vision.advice import drills
from vision.advice.drills import (
    CATEGORY_ORDER,
    DISCLAIMER,
    LIBRARY,
    STATIC_STRETCH_KEYS,
    DrillPlan,
    LimitFeel,
    SideResult,
    get_drill,
    plan,
)
from vision.advice.norms import Side

LIMITED = SideResult(shin_angle_deg=30.0, knee_to_wall_cm=7.0)
BORDERLINE = SideResult(shin_angle_deg=37.0, knee_to_wall_cm=11.0)
NORMAL = SideResult(shin_angle_deg=44.0, knee_to_wall_cm=13.0)
NORMAL_STIFFER = SideResult(shin_angle_deg=41.0, knee_to_wall_cm=12.5)  # 3 deg / 0.5 cm: not significant
JOINT_KEYS = {"banded_talocrural_mobilization", "knee_to_wall_rocks"}
REQUIRED_KEYS = {
    "seated_ankle_mobilization",
    "active_dorsiflexion_hold",
    "passive_dorsiflexion_hold",
    "gastrocnemius_stretch",
    "soleus_stretch",
    "dynamic_calf_stretch_3d",
    "calf_foam_roll",
    "banded_talocrural_mobilization",
    "knee_to_wall_rocks",
    "forefoot_elevated_squat",
    "anterior_reach_slider",
    "kneeling_plantarflexion_stretch",
    "swinging_leg_calf_stretch",
    "uneven_ground_walking",
}
ALL_SCENARIOS: list[tuple[SideResult | None, SideResult | None]] = [
    (LIMITED, LIMITED),
    (LIMITED, NORMAL),
    (NORMAL, BORDERLINE),
    (NORMAL, NORMAL_STIFFER),
    (None, LIMITED),
    (BORDERLINE, None),
]


def _keys(drill_plan: DrillPlan) -> list[str]:
    return [item.drill.key for item in drill_plan.items]


def _category_ranks(drill_plan: DrillPlan) -> list[int]:
    return [CATEGORY_ORDER.index(item.drill.category) for item in drill_plan.items]


# --- library ------------------------------------------------------------------------------------------------


def test_library_has_the_required_drills_with_unique_keys() -> None:
    keys = [drill.key for drill in LIBRARY]
    assert len(keys) == len(set(keys))
    assert set(keys) >= REQUIRED_KEYS
    assert set(keys) >= STATIC_STRETCH_KEYS


@pytest.mark.parametrize("drill", LIBRARY, ids=lambda drill: drill.key)
def test_every_drill_is_complete(drill: drills.Drill) -> None:
    for field in dataclasses.fields(drill):
        value = getattr(drill, field.name)
        assert value, f"{drill.key}.{field.name} is empty"
        if isinstance(value, tuple):
            assert all(isinstance(text, str) and text.strip() for text in value), f"{drill.key}.{field.name}"
        else:
            assert isinstance(value, str)
            assert value.strip()
    assert drill.category in CATEGORY_ORDER
    assert DISCLAIMER not in repr(drill)


def test_drills_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        LIBRARY[0].name = "changed"  # type: ignore[misc]


def test_get_drill_unknown_key() -> None:
    assert get_drill("knee_to_wall_rocks").category == "joint"
    with pytest.raises(KeyError):
        get_drill("no_such_drill")


# --- plans --------------------------------------------------------------------------------------------------


def test_limited_bilateral_front_pinch_emphasises_joint_work_after_soft_tissue() -> None:
    drill_plan = plan(LIMITED, LIMITED, "front_pinch")
    keys = _keys(drill_plan)
    assert set(keys) >= JOINT_KEYS
    categories = [item.drill.category for item in drill_plan.items]
    assert categories.count("joint") >= categories.count("soft_tissue")
    first_joint = categories.index("joint")
    assert "soft_tissue" in categories[:first_joint]
    assert all(category != "soft_tissue" for category in categories[first_joint:])
    assert not drill_plan.maintenance
    assert all(item.sets("left") == item.sets("right") == 3 for item in drill_plan.items)
    assert any("front of the ankle" in line for line in drill_plan.rationale)


def test_calf_pull_starts_with_soft_tissue() -> None:
    drill_plan = plan(BORDERLINE, BORDERLINE, "calf_pull")
    keys = _keys(drill_plan)
    assert keys[0] == "calf_foam_roll"
    assert {"gastrocnemius_stretch", "soleus_stretch"} <= set(keys)
    assert keys.index("soleus_stretch") < keys.index("knee_to_wall_rocks")


@pytest.mark.parametrize(("left", "right"), ALL_SCENARIOS)
def test_achilles_pain_means_loading_and_no_stretching(
    left: SideResult | None, right: SideResult | None
) -> None:
    drill_plan = plan(left, right, "achilles_pain")
    keys = set(_keys(drill_plan))
    assert keys
    assert not keys & STATIC_STRETCH_KEYS
    assert "banded_talocrural_mobilization" not in keys
    assert {item.drill.category for item in drill_plan.items} == {"loading"}
    assert not drill_plan.maintenance
    assert any("physiotherapist or doctor" in line for line in drill_plan.rationale)


@pytest.mark.parametrize(
    ("left", "right", "stiffer"),
    [
        (LIMITED, NORMAL, "left"),
        (NORMAL, LIMITED, "right"),
        (NORMAL, BORDERLINE, "right"),
        (LIMITED, SideResult(37.0, 9.5), "left"),  # both limited, left clearly stiffer
        (NORMAL, SideResult(60.0, 18.0), "left"),  # both normal but clearly asymmetric
    ],
)
@pytest.mark.parametrize("feel", ["front_pinch", "calf_pull", "unsure", "achilles_pain"])
def test_stiffer_side_gets_more_sets(
    left: SideResult, right: SideResult, stiffer: Side, feel: LimitFeel
) -> None:
    drill_plan = plan(left, right, feel)
    other: Side = "right" if stiffer == "left" else "left"
    assert drill_plan.items
    for item in drill_plan.items:
        assert item.sides == ("left", "right")
        assert item.sets(stiffer) > item.sets(other) >= 1
    assert any(f"Your {stiffer} ankle is stiffer" in line for line in drill_plan.rationale)
    assert not drill_plan.maintenance


@pytest.mark.parametrize(("left", "right"), [(NORMAL, NORMAL), (NORMAL, NORMAL_STIFFER), (NORMAL, None)])
@pytest.mark.parametrize("feel", ["front_pinch", "calf_pull", "unsure"])
def test_normal_symmetric_gets_short_maintenance(
    left: SideResult, right: SideResult | None, feel: LimitFeel
) -> None:
    drill_plan = plan(left, right, feel)
    assert drill_plan.maintenance
    assert 1 <= len(drill_plan.items) <= 3
    assert all(sets == 1 for item in drill_plan.items for _, sets in item.sets_by_side)
    limited_plan = plan(LIMITED, LIMITED, feel)
    assert len(drill_plan.items) < len(limited_plan.items)


def test_borderline_gets_fewer_drills_and_sets_than_limited() -> None:
    borderline = plan(BORDERLINE, BORDERLINE, "unsure")
    limited = plan(LIMITED, LIMITED, "unsure")
    assert set(_keys(borderline)) < set(_keys(limited))
    assert {item.sets("left") for item in borderline.items} == {2}
    assert {item.sets("left") for item in limited.items} == {3}


def test_one_side_only_plans_that_side() -> None:
    drill_plan = plan(None, LIMITED, "unsure")
    assert all(item.sides == ("right",) and item.sets("left") == 0 for item in drill_plan.items)
    assert drill_plan.classification_by_side == (("right", "limited"),)


def test_angle_only_results_are_accepted() -> None:
    drill_plan = plan(SideResult(30.0), SideResult(42.0), "unsure")
    assert dict(drill_plan.classification_by_side) == {"left": "limited", "right": "normal"}


def test_no_side_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        plan(None, None, "unsure")
    with pytest.raises(ValueError, match="limit feel"):
        plan(NORMAL, NORMAL, "knee_pain")  # type: ignore[arg-type]


@pytest.mark.parametrize(("left", "right"), ALL_SCENARIOS)
@pytest.mark.parametrize("feel", get_args(LimitFeel))
def test_every_plan_is_ordered_explained_and_disclaimed_once(
    left: SideResult | None, right: SideResult | None, feel: LimitFeel
) -> None:
    drill_plan = plan(left, right, feel)
    assert drill_plan.items
    ranks = _category_ranks(drill_plan)
    assert ranks == sorted(ranks)
    keys = _keys(drill_plan)
    assert len(keys) == len(set(keys))
    assert drill_plan.rationale
    assert all(line.strip() for line in drill_plan.rationale)
    assert drill_plan.disclaimer == DISCLAIMER
    assert repr(drill_plan).count(DISCLAIMER) == 1
    assert DISCLAIMER.startswith("This is general exercise information, not medical advice")


def test_disclaimer_is_defined_once_in_the_source() -> None:
    source = Path(drills.__file__).read_text(encoding="utf-8")
    assert source.count("not medical advice") == 1
