"""Report charts in the reader's language: every title, label, legend entry and note goes
through the ``gettext`` a chart is given, and its numbers through ``number``."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

import analysis
import instruments
from analysis import charts
from analysis.report import organization_report

#: Team, dimension, item and wave names without an English word, so that any English word
#: drawn must be one of the chart's own texts.
TEAMS = pd.DataFrame(
    {
        "name": ["Nord", "Süd", "Ost", "West", "Klein"],
        "function": ["sales", "sales", "marketing", "marketing", "other"],
        "parent": [None] * 5,
    },
    index=["n", "s", "o", "w", "k"],
)
SIZES = {"n": 40, "s": 35, "o": 30, "w": 30, "k": 2}
VOWELS = str.maketrans("aeiouAEIOU", "äëïöüÄËÏÖÜ")


def pseudo_german(message: str) -> str:
    """A stand-in translation: every vowel outside ``{placeholders}`` changed, so that no
    English word of the message is left (the catalogue's German is filled in centrally)."""
    parts = re.split(r"(\{[^}]*\})", message)
    return "".join(part if part.startswith("{") else part.translate(VOWELS) for part in parts)


def decimal_comma(value, digits):
    return f"{value:.{digits}f}".replace("-", "\u2212").replace(".", ",")


def _simulate(seed):
    alignment, mindset = instruments.load("alignment"), instruments.load("mindset")
    functions = TEAMS["function"].to_dict()
    first = analysis.simulate(alignment, functions, SIZES, seed=seed)
    second = analysis.simulate(mindset, functions, SIZES, seed=seed + 1)
    return pd.concat(
        [first.drop(columns=["function", "careless", "careless_type"]), second[list(mindset.item_ids)]],
        axis=1,
    )


@pytest.fixture(scope="module")
def report():
    used = (instruments.load("alignment"), instruments.load("mindset"))
    return organization_report(
        _simulate(3), TEAMS, used, threshold=5, history=[("W1", _simulate(7))], wave="W2"
    )


def _build(report, **language):
    """Every chart of the module (and its empty variant) with the given ``gettext``/``number``."""
    dimensions = {d: f"D{position}" for position, d in enumerate(report.dimensions.index)}
    items = {item: f"I{position}" for position, item in enumerate(report.heatmap.means.columns)}
    scales = {d: (row.scale_min, row.scale_max) for d, row in report.dimensions.iterrows()}
    names = TEAMS["name"]
    root = report.suppression.root
    organization = report.means[report.means["team"] == root].set_index("dimension")["mean"]
    empty_pairs = report.alignment.pairs.iloc[0:0]
    return {
        "quadrant": charts.quadrant_chart(
            report.alignment.pairs, midpoint=report.alignment.level_midpoint,
            headline=report.alignment.headline, **language,
        ),
        "quadrant_empty": charts.quadrant_chart(empty_pairs, midpoint=3.0, **language),
        "forest": charts.gap_forest_chart(report.means, report.gaps, "n", "w", dimension_names=dimensions,
                                          **language),
        "forest_empty": charts.gap_forest_chart(report.means, report.gaps.iloc[0:0], "n", "w", **language),
        "meta": charts.meta_perception_chart(report.meta_perception, dimension_names=dimensions, **language),
        "meta_empty": charts.meta_perception_chart(report.meta_perception.iloc[0:0], **language),
        "parallel": charts.profile_chart(report.profiles, team_names=names, dimension_names=dimensions,
                                         organization=organization, **language),
        "radar": charts.profile_chart(report.profiles, team_names=names, dimension_names=dimensions,
                                      kind="radar", scale=(1, 7), **language),
        "profile_empty": charts.profile_chart(report.profiles.iloc[0:0], **language),
        "heatmap": charts.heatmap_chart(report.heatmap, item_text=items, dimension_names=dimensions,
                                        **language),
        "agreement": charts.agreement_chart(report.agreement.rwg_j, dimension_names=dimensions, **language),
        "agreement_empty": charts.agreement_chart(report.agreement.rwg_j.iloc[0:0], **language),
        "trend": charts.trend_chart(report.trend, dimension_names=dimensions, scales=scales, **language),
        "trend_empty": charts.trend_chart(report.trend.dimensions.iloc[0:0], **language),
        **{
            f"panel {position}": panel
            for position, panel in enumerate(
                charts.trend_panels(report.trend, dimension_names=dimensions, scales=scales, **language)
            )
        },
    }  # fmt: skip


def _texts(figure) -> list[str]:
    """Every visible, non-empty text of the drawn figure, as it reads."""
    FigureCanvasAgg(figure).draw()
    return [
        text.get_text().replace("\\$", "$")
        for text in figure.findobj(Text)
        if text.get_visible() and text.get_text().strip()
    ]


def _english_words(messages) -> set[str]:
    """The words of the chart's English messages that have a vowel (those a translation changes)."""
    words = set()
    for message in messages:
        for word in re.findall(r"[A-Za-z']{3,}", re.sub(r"\{[^}]*\}", " ", message)):
            if re.search("[aeiouAEIOU]", word):
                words.add(word)
    return words


def _english_left(figures, messages) -> dict[str, list[str]]:
    words = _english_words(messages)
    found = {}
    for name, figure in figures.items():
        for text in _texts(figure):
            left = [word for word in words if re.search(rf"(?<![A-Za-zäëïöüÄËÏÖÜ]){word}(?![A-Za-z])", text)]
            if left:
                found.setdefault(name, []).append((text, left))
    return found


@pytest.fixture(scope="module")
def german(report):
    """Every chart in (stand-in) German with decimal commas, and the messages it asked for."""
    asked: list[str] = []

    def translate(message):
        asked.append(message)
        return pseudo_german(message)

    return _build(report, gettext=translate, number=decimal_comma), asked


def test_a_chart_built_in_german_has_no_english_label(german):
    figures, asked = german
    assert len(asked) > 60  # titles, labels, legends and notes of every chart
    assert _english_left(figures, asked) == {}
    for name, figure in figures.items():
        if not name.startswith("panel ") or name == "panel 0":  # a dimension's panel: its name only
            assert any(re.search("[äëïöü]", text) for text in _texts(figure)), name


def test_the_check_finds_the_english_labels_of_a_chart_in_english(report):
    asked: list[str] = []

    def english(message):
        asked.append(message)
        return message

    figures = _build(report, gettext=english)
    found = _english_left(figures, asked)
    # Every chart, empty ones too, draws some English of its own (a dimension's panel: only its name).
    assert set(found) == {name for name in figures if not name.startswith("panel ")} | {"panel 0"}
    svg = charts.figure_to_svg(figures["forest"])
    assert "Mean rating" in svg
    assert "could be chance" in svg


def test_numbers_on_charts_use_the_given_decimal_separator(report, german):
    figures, _asked = german
    for name in ("forest", "meta", "parallel", "heatmap", "agreement", "quadrant"):
        texts = _texts(figures[name])
        assert not [text for text in texts if re.search(r"\d\.\d", text)], name
        assert any(re.fullmatch(r"[\u2212+]?\d+,\d+", text) for text in texts), name
    # Without a formatter matplotlib's own tick labels are drawn, as before.
    english = charts.agreement_chart(report.agreement.rwg_j)
    assert any(re.fullmatch(r"\d\.\d+", text) for text in _texts(english))


def test_user_text_stays_literal_in_a_translated_chart(report):
    pairs = report.alignment.pairs.replace({"Nord": "$x$ Nord"})
    figure = charts.quadrant_chart(pairs, midpoint=3.0, gettext=pseudo_german, label_count=6)
    assert "$x$ Nord" in charts.figure_to_svg(figure)  # mathtext would raise or drop the dollars
    title = charts.gap_forest_chart(report.means.replace({"Nord": "$x$ Nord"}), report.gaps, "n", "w",
                                    gettext=pseudo_german)  # fmt: skip
    assert "$x$ Nord" in charts.figure_to_svg(title)
