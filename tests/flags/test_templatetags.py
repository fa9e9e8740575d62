import pytest
from django.urls import reverse

from flags.templatetags.flag_tags import flag_values
from tests.factories import make_patient


def test_flag_values_read_dates_as_the_app_does():
    rows = dict(flag_values({"last_session": "2026-11-23", "rest_days": 3, "session_date": "not a date"}))
    assert rows["Last session"] == "Mon 23 Nov 2026"
    assert rows["Whole days without a session"] == 3
    assert "not a date" in rows.values()  # shown as it is rather than failing


def _rendered(template_text: str, **context) -> str:
    from django.template import engines

    return engines["django"].from_string(template_text).render(context)


@pytest.mark.django_db
def test_caseload_row_escapes_the_name_and_shows_each_column(physio):
    from datetime import date

    from flags.selectors.dashboard import caseload, sparkline
    from patients.rules import condition_phase

    patient = make_patient(physio=physio, first_name="<b>Ann</b>", last_name='O"Neil & <i>co</i>')
    (p,) = caseload(physio=physio)
    today = physio.clinic.local_today()
    row = {"patient": p, "adherence": 57, "pains": [1, 4], "spark": sparkline([1, 4], p.pain_threshold)}
    html = _rendered("{% load caseload_rows %}{% caseload_row row today %}", row=row, today=today)
    assert "<b>" not in html and "<i>" not in html
    assert "O&quot;Neil &amp; &lt;i&gt;co&lt;/i&gt;, &lt;b&gt;Ann&lt;/b&gt;" in html
    assert f'href="{reverse("patients:detail", args=[patient.pk])}"' in html and f'id="open-flags-{patient.pk}"' in html
    assert "no program" in html and "57%" in html and "Last 2 highest pains: 1, 4" in html
    assert f"{p.pain_threshold}/5" in html and "<td>–</td>" in html  # no report yet
    phase = condition_phase(p.onset_date, today)
    assert f'<span class="badge phase-{phase.value}">{phase.label}</span>' in html
    p.last_date, p.last_pain, p.open_flags = date(2026, 3, 9), 3, 2
    html = _rendered("{% load caseload_rows %}{% caseload_row row today %}", row=row, today=today)
    assert "<td>9 Mar</td>" in html and "<td>3/5</td>" in html and "2 open flags" in html
    p.open_flags = 1
    html = _rendered("{% load caseload_rows %}{% caseload_row row today %}", row=row, today=today)
    assert "1 open flag</span>" in html


@pytest.mark.django_db
def test_review_card_escapes_the_name_and_writes_out_the_review_form(physio):
    from patients.models import ThresholdChange
    from patients.selectors import threshold_reviews_due

    patient = make_patient(physio=physio, onset_days=50, first_name="<b>Ann</b>", last_name='O"Neil & co')
    ThresholdChange.objects.filter(patient=patient).update(phase="acute")  # decided when acute, subacute now
    (due,) = threshold_reviews_due(physio=physio)
    html = _rendered(
        "{% load caseload_rows %}{% review_card patient token next %}",
        patient=due,
        token="tok<en>",
        next="/dashboard/?a=1&b=2",
    )
    pk = patient.pk
    assert "<b>" not in html and "&lt;b&gt;Ann&lt;/b&gt; O&quot;Neil &amp; co" in html
    assert f'id="review-{pk}"' in html and f'href="{reverse("patients:detail", args=[pk])}"' in html
    assert f'action="{reverse("patients:threshold_review", args=[pk])}"' in html
    assert ": now subacute</h3>" in html and "6 weeks to 6 months since onset; threshold" in html
    assert f"threshold {patient.pain_threshold}/5, the subacute default 1/5." in html
    assert 'value="tok&lt;en&gt;"' in html and 'name="next" value="/dashboard/?a=1&amp;b=2"' in html
    assert 'name="phase" value="subacute"' in html
    assert f'id="decision-apply-{pk}" required><label class="form-check-label" for="decision-apply-{pk}">' in html
    assert f'for="decision-keep-{pk}">Keep {patient.pain_threshold}/5</label>' in html
    assert f'<textarea class="form-control form-control-sm mb-2" name="reason" id="reason-{pk}"' in html


@pytest.mark.django_db
def test_patient_flag_items_escape_and_say_how_a_flag_ended(physio):
    from django.utils import timezone

    from flags.models import Flag, FlagOutcome, FlagReason, FlagStatus

    patient = make_patient(physio=physio)
    now = timezone.now()
    kept = {"opened_at": now, "ack_due_at": now, "last_evidence_at": now}
    open_flag = Flag.objects.create(
        patient=patient,
        reason=FlagReason.NEW_SYMPTOM,
        urgent=True,
        details={"explanation": "<script>x</script>"},
        **kept,
    )
    closed = Flag.objects.create(
        patient=patient,
        reason=FlagReason.PAIN,
        status=FlagStatus.RESOLVED,
        resolved_at=now,
        outcome=FlagOutcome.CONTACTED_PATIENT,
        **kept,
    )
    html = _rendered("{% load flag_items %}{% patient_flag_items flags %}", flags=[open_flag, closed])
    assert "<script>" not in html
    assert html.count("<li") == 2 and html.count("Urgent") == 1
    assert f'href="{reverse("flags:detail", args=[open_flag.pk])}"' in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert ": contacted the patient" in html and "New symptom reported" in html


@pytest.mark.django_db
def test_patient_flag_items_show_days_in_the_clinics_time_zone(physio):
    from datetime import UTC, datetime

    from django.utils import timezone

    from flags.models import Flag, FlagReason

    late = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)  # already 10 March in Auckland
    flag = Flag.objects.create(
        patient=make_patient(physio=physio),
        reason=FlagReason.PAIN,
        opened_at=late,
        ack_due_at=late,
        last_evidence_at=late,
    )
    with timezone.override("Pacific/Auckland"):
        html = _rendered("{% load flag_items %}{% patient_flag_items flags %}", flags=[flag])
    assert "raised 10 Mar 2026" in html and "9 Mar" not in html
    with timezone.override("UTC"):
        assert "raised 9 Mar 2026" in _rendered("{% load flag_items %}{% patient_flag_items flags %}", flags=[flag])
