"""History page: saved tests of one person, a trend per side with its measurement-error band, export,
editing and deleting."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st

from app_pages import charts
from app_pages.session import open_store, person
from vision.advice.norms import MDC_DEG
from vision.advice.trends import trend
from vision.app import logic as al
from vision.app import words as app_words
from vision.errors import InputError
from vision.storage import ANGLE_KIND_WORDS, HistoryStore, MeasurementRecord


def main() -> None:
    st.header("History")
    store = open_store()
    if store is None:
        return
    try:
        history_body(store)
    finally:
        store.close()


def history_body(store: HistoryStore) -> None:
    st.caption(f"History file: {store.path}")
    people = store.people()
    if not people:
        st.info("Nothing saved yet: measure a clip and press **Save to history**.")
        return
    default = people.index(person()) if person() in people else 0
    who = st.selectbox("Person", people, index=default, key="history_person")
    records = store.list(person=who)
    wide = st.column_config.TextColumn(width="large")  # the words of these columns are not cut off
    st.dataframe(
        pd.DataFrame(al.history_rows(records)),
        hide_index=True,
        width="stretch",
        column_config={"Angle taken along": wide, "Scale from": wide, "Notes": wide, "Clip": wide},
    )
    trends(records)
    st.caption(f"Shaded band: the first test ± {MDC_DEG:g}°. {app_words.THRESHOLDS_LINE}")
    buffer = io.StringIO()
    store.export_csv(buffer, person=who)
    st.download_button(
        f"Export {who}'s history (CSV)",
        buffer.getvalue().encode("utf-8"),
        file_name=f"dorsiflex_history_{who}.csv",
        mime="text/csv",
        on_click="ignore",
    )
    edit_box(store, records)


def trends(records: list[MeasurementRecord]) -> None:
    cols = st.columns(2)
    for col, side in zip(cols, al.SIDES, strict=True):
        with col:
            kinds = al.angle_kinds(records, side)
            if not kinds:
                st.caption(f"No {side} measurements yet.")
            for kind in kinds:  # one trend per kind of angle: the two are never compared
                side_trend = trend(records, side, angle_kind=kind)
                title = f"{side.capitalize()} ankle — {ANGLE_KIND_WORDS[kind]}"
                chart = charts.trend_chart(al.trend_rows(side_trend), al.mdc_band(side_trend), title)
                st.altair_chart(chart, width="stretch")
                st.caption(al.mdc_words(side_trend))
                note = al.kind_note(side_trend)
                if note and kind == kinds[0]:
                    st.caption(note)


def edit_box(store: HistoryStore, records: list[MeasurementRecord]) -> None:
    st.subheader("Edit or delete an entry")
    by_id = {r.id: r for r in records if r.id is not None}
    chosen = st.selectbox(
        "Entry",
        list(by_id),
        format_func=lambda i: (
            f"#{i} {by_id[i].measured_at.astimezone():%-d %b %Y %H:%M} {by_id[i].side} "
            f"{al.round_half(by_id[i].shin_angle_deg):.1f}°"
        ),
        key="edit_id",
    )
    if chosen is None:
        return
    edit_form(store, by_id[chosen])
    delete_box(store, chosen)


def edit_form(store: HistoryStore, record: MeasurementRecord) -> None:
    chosen = record.id
    with st.form(f"edit_{chosen}"):
        c1, c2, c3 = st.columns(3)
        new_person = c1.text_input("Person", value=record.person, key=f"edit_{chosen}_person")
        new_date = c2.date_input(
            "Date", value=record.measured_at.astimezone().date(), key=f"edit_{chosen}_date"
        )
        new_side = c3.selectbox(
            "Side", al.SIDES, index=al.SIDES.index(record.side), key=f"edit_{chosen}_side"
        )
        c4, c5 = st.columns(2)
        new_angle = c4.number_input(
            "Shin angle (°)", value=float(record.shin_angle_deg), step=0.1, key=f"edit_{chosen}_angle"
        )
        cm_text = c5.text_input(
            "Knee over toe (cm, empty if unknown)",
            value="" if record.knee_over_toe_cm is None else f"{record.knee_over_toe_cm:.1f}",
            key=f"edit_{chosen}_cm",
        )
        new_notes = st.text_input("Notes", value=record.notes, key=f"edit_{chosen}_notes")
        submitted = st.form_submit_button("Save changes")
    if not submitted or chosen is None:
        return
    try:
        knee_cm = float(cm_text) if cm_text.strip() else None
    except ValueError:
        st.error(f"'{cm_text}' is not a number of centimetres.")
        return
    measured_at = record.measured_at
    if isinstance(new_date, date) and new_date != measured_at.astimezone().date():
        local = measured_at.astimezone()
        measured_at = local.replace(year=new_date.year, month=new_date.month, day=new_date.day)
    try:
        store.update(
            chosen,
            person=new_person.strip() or record.person,
            measured_at=measured_at,
            side=new_side,
            shin_angle_deg=float(new_angle),
            knee_over_toe_cm=knee_cm,
            notes=new_notes,
        )
    except (ValueError, KeyError, InputError) as err:
        st.error(f"Could not save the change: {err}")
        return
    st.session_state["history_message"] = f"Entry #{chosen} updated."
    st.rerun()


def delete_box(store: HistoryStore, chosen: int) -> None:
    confirm = st.checkbox(f"Yes, delete entry #{chosen}", key=f"confirm_delete_{chosen}")
    if st.button("Delete entry", disabled=not confirm, key=f"delete_{chosen}"):
        try:
            removed = store.delete(chosen)
        except KeyError:
            st.error(f"Entry #{chosen} was already deleted.")
            return
        if removed.video_path:
            Path(removed.video_path).unlink(missing_ok=True)
        st.session_state["history_message"] = f"Entry #{chosen} deleted."
        st.rerun()


main()
