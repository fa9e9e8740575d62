"""Loading instruments: the shipped ones for every clinic, a licensed one for the clinic that holds its licence;
an instrument file that does not validate is refused with a clear message and nothing is stored."""

import json

import pytest
from django.core.management import CommandError, call_command

from outcomes.instruments import SHIPPED_DIR
from outcomes.models import Instrument
from tests.helpers import licensed_definition

pytestmark = pytest.mark.django_db


def write(tmp_path, data, name="instrument.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return str(path)


def test_the_shipped_instruments_are_loaded_and_loading_again_changes_nothing(capsys):
    assert set(Instrument.objects.filter(clinic=None).values_list("key", flat=True)) == {"psfs", "pain-week", "grc"}
    call_command("load_instruments")
    assert "Patient-Specific Functional Scale, version 1: already loaded, unchanged." in capsys.readouterr().out
    assert Instrument.objects.count() == 3


def test_a_licensed_instrument_for_the_clinic_that_holds_the_licence(tmp_path, clinic, capsys):
    call_command("load_instruments", write(tmp_path, licensed_definition("odi")), clinic=clinic.name)
    assert "Oswestry Disability Index, version 2.1a: loaded." in capsys.readouterr().out
    odi = Instrument.objects.get(key="odi")
    assert (odi.clinic, odi.scoring, odi.mcid, odi.higher_is_better) == (clinic, "odi", 10, False)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(scoring="median"), "Unknown scoring rule 'median'"),
        (lambda d: d["items"][3].pop("options"), "Item 4 (section-4) has no answer options."),
        (lambda d: d.update(template=True), "This file is a template"),
    ],
)
def test_a_file_that_does_not_validate_is_refused(tmp_path, clinic, change, message):
    data = licensed_definition("odi")
    change(data)
    with pytest.raises(CommandError, match="Not loaded") as caught:
        call_command("load_instruments", write(tmp_path, data), clinic=clinic.name)
    assert message in str(caught.value)
    assert not Instrument.objects.filter(key="odi").exists()


def test_not_json(tmp_path, clinic):
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("load_instruments", write(tmp_path, "{not json"), clinic=clinic.name)


def test_a_changed_version_is_refused(tmp_path, clinic):
    data = licensed_definition("rmdq")
    call_command("load_instruments", write(tmp_path, data), clinic=clinic.name)
    data["items"][0]["text"] = "Other wording"
    with pytest.raises(CommandError, match="already loaded with other content: give the changed file a new version"):
        call_command("load_instruments", write(tmp_path, data), clinic=clinic.name)
    data["version"] = "24b"
    call_command("load_instruments", write(tmp_path, data), clinic=clinic.name)
    assert sorted(Instrument.objects.filter(key="rmdq").values_list("version", flat=True)) == ["24", "24b"]


def test_a_file_needs_the_clinic_that_holds_its_licence(tmp_path):
    with pytest.raises(CommandError, match="Give --clinic"):
        call_command("load_instruments", str(SHIPPED_DIR / "psfs.json"))
    with pytest.raises(CommandError, match="No clinic is called 'Nowhere'"):
        call_command("load_instruments", str(SHIPPED_DIR / "psfs.json"), clinic="Nowhere")
