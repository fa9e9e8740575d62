"""The clinic outcomes' row, built in one step: every figure in its cell, a dash where there is none, the name
escaped."""

from decimal import Decimal

from django.template import Context, Template

from outcomes.selectors.clinic import Group, MeasureFigures
from outcomes.templatetags.outcome_tags import outcome_row
from patients.models import DischargeReason

REASONS = DischargeReason.choices
MEASURES = [("odi", "Disability index"), ("pain-week", "Pain over the week")]


def group(name="Alex Morgan", **kwargs) -> Group:
    mine = Group(key=1, name=name, episodes=4, flags=3, adherence=[40, 61, 90], **kwargs)
    mine.by_reason.update({DischargeReason.GOALS_MET: 3, DischargeReason.REFERRED_ON: 1})
    return mine


def test_every_figure_in_its_cell_and_a_dash_for_a_measure_without_a_change():
    figures = MeasureFigures("pain-week", "Pain over the week", [Decimal(-1), Decimal("2.5"), Decimal(4)], reached=2)
    row = outcome_row(group(measures={"pain-week": figures}), MEASURES, REASONS)
    reasons = "<td>3</td><td>0</td><td>1</td>" + "<td>0</td>" * (len(REASONS) - 3)
    assert row == (
        f'<tr><th scope="row">Alex Morgan</th><td>4</td>{reasons}'
        "<td>0</td><td>–</td><td>–</td>"  # no change measured on the disability index
        "<td>3</td><td>+2.5</td><td>67%</td>"
        "<td>61%</td><td>0.8</td></tr>"
    )


def test_the_clinic_first_a_worse_median_and_no_adherence_planned():
    figures = MeasureFigures("odi", "Disability index", [Decimal(-3), Decimal("-1.25")], reached=0)
    clinic = Group(key="clinic", name="Whole clinic", episodes=1, measures={"odi": figures})
    row = outcome_row(clinic, MEASURES, REASONS, first=True)
    assert row.startswith('<tr class="table-light fw-semibold"><th scope="row">Whole clinic</th><td>1</td>')
    assert "<td>2</td><td>−2.13</td><td>0%</td>" in row
    assert row.endswith("<td>–</td><td>0.0</td></tr>")  # nothing planned: no adherence


def test_a_name_is_escaped_in_the_page():
    rendered = Template("{% load outcome_tags %}{% outcome_row group measures reasons %}").render(
        Context({"group": group(name='<script>"x"</script> & Co'), "measures": MEASURES, "reasons": REASONS})
    )
    assert '<th scope="row">&lt;script&gt;&quot;x&quot;&lt;/script&gt; &amp; Co</th>' in rendered
    assert "<script>" not in rendered
