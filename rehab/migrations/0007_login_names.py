import unicodedata

from django.db import migrations


def login_key(email: str) -> str:
    # rehab.rules.login_key as it was when this migration was written (a migration must not change with the code).
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", email).casefold()).strip()


class LoginNameClash(Exception):
    pass


def clashes(accounts) -> dict[str, list[tuple[int, str]]]:
    """Login names that more than one account would have: {login name: [(id, email as stored), ...]}."""
    by_name: dict[str, list[tuple[int, str]]] = {}
    for pk, email in accounts:
        by_name.setdefault(login_key(email), []).append((pk, email))
    return {name: found for name, found in sorted(by_name.items()) if len(found) > 1}


def normalise_login_names(apps, schema_editor):
    """Store every account's address as its login name. Two accounts that would share one are not merged: the
    migration stops and names them, for a person to decide which address each should have."""
    User = apps.get_model("rehab", "User")
    accounts = list(User.objects.using(schema_editor.connection.alias).order_by("pk").values_list("pk", "email"))
    found = clashes(accounts)
    if found:
        lines = [
            f"  {name}: " + ", ".join(f"account {pk} ({email!r})" for pk, email in same) for name, same in found.items()
        ]
        raise LoginNameClash(
            "These accounts would share one login name once addresses are compared the way log-ins compare them "
            "(case, full-width letters and spaces ignored). Nothing was changed. Give each account an address of "
            "its own (or deactivate the one not used), then migrate again:\n" + "\n".join(lines)
        )
    for pk, email in accounts:
        if login_key(email) != email:
            User.objects.using(schema_editor.connection.alias).filter(pk=pk).update(email=login_key(email))


class Migration(migrations.Migration):
    """Every account's address becomes its login name: the one spelling log-ins look accounts up by."""

    dependencies = [("rehab", "0006_clinic_phone")]

    operations = [migrations.RunPython(normalise_login_names, migrations.RunPython.noop)]
