"""The progress charts, drawn once with matplotlib for both the Progress page and the PDF report
(so the clinician sees exactly what the person saw). Each function takes ``progress`` figures and
returns a Figure (made without pyplot: no global state, so the page's script thread and a
download being built can draw at once); ``png`` turns one into image bytes."""

from __future__ import annotations

import io

from matplotlib.figure import Figure

from pose_coach.progress import SESSIONS_GOAL, Progress, StretchProgress, Week
from pose_coach.terms import SIDES

SIDE_COLOURS = {"left": "#3182bd", "right": "#e6550d"}
BAND_COLOUR = "#2ca25f"
SIZE = (7.5, 2.8)  # inches; 100 dpi on the page, 150 in the PDF


def _figure():
    figure = Figure(figsize=SIZE, layout="constrained")
    return figure, figure.subplots()


def _week_axis(axes, weeks: list[Week]) -> None:
    axes.set_xticks(range(len(weeks)), [w.label for w in weeks], rotation=45, ha="right",
                    fontsize=7)  # fmt: skip
    axes.set_xlim(-0.6, len(weeks) - 0.4)
    axes.grid(axis="y", alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)


def rom_chart(stretch: StretchProgress, weeks: list[Week]) -> Figure:
    """Each side's weekly median (line) and best (dots) against the target band."""
    figure, axes = _figure()
    index = {w.monday: n for n, w in enumerate(weeks)}
    low, high = stretch.band
    axes.axhspan(low, high, color=BAND_COLOUR, alpha=0.15, label=f"target {low:g}° to {high:g}°")
    for side in SIDES:
        ranges = [r for r in stretch.ranges if r.side == side and r.monday in index]
        x = [index[r.monday] for r in ranges]
        colour = SIDE_COLOURS[side]
        axes.plot(x, [r.median_deg for r in ranges], "-o", color=colour, markersize=4,
                  label=f"{side} median")  # fmt: skip
        axes.plot(x, [r.best_deg for r in ranges], "^", color=colour, markersize=4, alpha=0.6,
                  label=f"{side} best")  # fmt: skip
    axes.set_title(f"{stretch.reference.name}: {stretch.measure} in good form", fontsize=9)
    axes.set_ylabel("degrees", fontsize=8)
    _week_axis(axes, weeks)
    axes.legend(fontsize=6, ncol=5, loc="lower center", bbox_to_anchor=(0.5, 1.08),
                frameon=False)  # fmt: skip
    return figure


def sessions_chart(weeks: list[Week]) -> Figure:
    """Sessions per week against the article's two to three."""
    figure, axes = _figure()
    axes.axhspan(*SESSIONS_GOAL, color=BAND_COLOUR, alpha=0.15, label="the article's 2-3 a week")
    axes.bar(range(len(weeks)), [w.sessions for w in weeks], color="#3182bd", label="sessions")
    axes.set_title("Sessions per week", fontsize=9)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_ylim(0, max([SESSIONS_GOAL[1] + 1] + [w.sessions + 1 for w in weeks]))
    _week_axis(axes, weeks)
    axes.legend(fontsize=7, frameon=False, loc="upper left")
    return figure


def good_form_chart(weeks: list[Week]) -> Figure:
    """Minutes of good form per week, per side, side by side."""
    figure, axes = _figure()
    for n, side in enumerate(SIDES):
        x = [i + (n - 0.5) * 0.4 for i in range(len(weeks))]
        axes.bar(x, [w.good_form_s[side] / 60 for w in weeks], width=0.4,
                 color=SIDE_COLOURS[side], label=side)  # fmt: skip
    axes.set_title("Good-form time per week", fontsize=9)
    axes.set_ylabel("minutes", fontsize=8)
    _week_axis(axes, weeks)
    axes.legend(fontsize=7, frameon=False, loc="upper left")
    return figure


def faults_chart(weeks: list[Week]) -> Figure:
    """Faults per week, stacked by kind."""
    figure, axes = _figure()
    kinds = sorted({kind for w in weeks for kind in w.faults})
    bottom = [0] * len(weeks)
    for kind in kinds:
        counts = [w.faults[kind] for w in weeks]
        axes.bar(range(len(weeks)), counts, bottom=bottom, label=kind.replace("_", " "))
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    axes.set_title("Faults per week", fontsize=9)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_ylim(0, max(bottom + [1]) + 0.5)
    _week_axis(axes, weeks)
    if kinds:
        axes.legend(fontsize=6, frameon=False, loc="upper left", ncol=3)
    return figure


def charts(progress: Progress) -> list[tuple[str, Figure]]:
    """Every chart of a progress view, titled, in the order the page and the report show them."""
    weeks = list(progress.weeks)
    shown = [(f"Range of motion: {s.reference.name}", rom_chart(s, weeks))
             for s in progress.stretches]  # fmt: skip
    return shown + [
        ("Sessions per week", sessions_chart(weeks)),
        ("Good-form time per week", good_form_chart(weeks)),
        ("Faults per week", faults_chart(weeks)),
    ]


def png(figure: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
