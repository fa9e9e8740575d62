"""Instrument files: the shipped ones in outcomes/data/instruments/, and those a clinic that holds an instrument's
licence provides (outcomes/data/licensed-templates/ has the shape of each, without its wording).

`sync_instrument` takes the model class, so that the data migration can pass its historical model and the service
(outcomes.services.instrument_load) the live one.
"""

import json
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError

from . import rules

DATA_DIR = Path(__file__).resolve().parent / "data"
SHIPPED_DIR = DATA_DIR / "instruments"
TEMPLATES_DIR = DATA_DIR / "licensed-templates"


def read_file(path: Path) -> dict:
    """An instrument file's definition; ValidationError when it is not JSON, or not a valid definition."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{path}: cannot be read ({exc}).") from exc
    except json.JSONDecodeError as exc:
        raise ValidationError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg}).") from exc
    errors = rules.definition_errors(data)
    if errors:
        raise ValidationError([f"{Path(path).name}: {error}" for error in errors])
    return data


def shipped() -> list[dict]:
    return [read_file(path) for path in sorted(SHIPPED_DIR.glob("*.json"))]


def sync_instrument(model, data: dict, *, clinic_id: int | None = None):
    """Load one version of an instrument; (instrument, created). Loading the same version again changes nothing; a
    version already loaded with other content is refused: a changed instrument is a new version."""
    errors = rules.definition_errors(data)
    if errors:
        raise ValidationError(errors)
    existing = model.objects.filter(clinic_id=clinic_id, key=data["key"], version=str(data["version"])).first()
    if existing is not None:
        if existing.definition != data:
            raise ValidationError(
                f"Version {data['version']} of '{data['key']}' is already loaded with other content: "
                "give the changed file a new version (answers keep the wording they answered)."
            )
        return existing, False
    low, high = data["score_range"]
    instrument = model(
        clinic_id=clinic_id,
        key=data["key"],
        version=str(data["version"]),
        name=data["name"],
        short_name=data["short_name"],
        scoring=data["scoring"],
        score_min=Decimal(str(low)),
        score_max=Decimal(str(high)),
        higher_is_better=data["better"] == "higher",
        mcid=None if data.get("mcid") is None else Decimal(str(data["mcid"])),
        compares_with_start=data.get("compares_with_start", True),
        timepoints=data["timepoints"],
        licence=data["licence"],
        definition=data,
    )
    instrument.full_clean(validate_unique=False, validate_constraints=False)
    instrument.save()
    return instrument, True
