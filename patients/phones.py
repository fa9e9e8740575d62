"""Patients' phone numbers: read in the clinic's own country's format, stored in international form (E.164).

The clinic's country is worked out from its time zone (the time zone database's zone.tab names the country of each
zone), so that staff and patients can type a number as they would dial it locally; a number written with + and its
country code is taken from anywhere.
"""

from functools import lru_cache
from importlib import resources

import phonenumbers
from django.core.exceptions import ValidationError

PHONE_ERROR = "Enter a phone number that can be dialled, e.g. {example}, or with + and the country code."


@lru_cache(maxsize=1)
def _zone_countries() -> dict[str, str]:
    """Time zone -> ISO 3166 country code, from tzdata's zone.tab (country, coordinates, zone, comments)."""
    text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    countries = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            fields = line.split("\t")
            countries[fields[2]] = fields[0]
    return countries


def region_for(time_zone: str) -> str | None:
    """The country whose numbers a clinic in `time_zone` dials without a country code; None when the zone has no
    single country (UTC): numbers must then start with +."""
    return _zone_countries().get(time_zone)


def example_number(region: str | None) -> str:
    example = phonenumbers.example_number(region) if region else None
    if example is None:
        return "+44 20 7946 0958"
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)


def normalise_phone(value, *, region: str | None, field: str = "phone") -> str:
    """A phone number as typed (or parsed already) -> E.164, '' for none. ValidationError beside `field` when it is
    not a number that can be dialled."""
    if value in (None, ""):
        return ""
    raw = value if isinstance(value, str) else str(value)
    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError({field: PHONE_ERROR.format(example=example_number(region))})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
