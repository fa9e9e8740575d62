"""One login name per account, and a lockout that holds: per account whatever the address, per address whatever the
account, with no spelling of an address getting guesses of its own."""

from unittest import mock

import pytest
from django.urls import reverse

from rehab.models import User
from rehab.rules import EMAIL_MAX_LENGTH, PASSWORD_MAX_LENGTH, login_key
from tests.factories import PASSWORD, PhysioFactory

EMAIL = "alex@northside.example"  # the physio fixture's


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" and c != "@" else c for c in text)


WRITTEN = {  # how each spelling writes an address
    "dotless i": lambda email: email.replace("i", "\u0131"),  # another letter: another name
    "full-width letters": _full_width,
    "upper case": lambda email: email.upper(),
    "spaces": lambda email: f"  {email}\u3000",
}
SPELLINGS = {spelling: write(EMAIL) for spelling, write in WRITTEN.items()}
SAME_NAME = ("full-width letters", "upper case", "spaces")


def log_in(client, username, password=PASSWORD, address="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def logged_in_as(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


@pytest.mark.parametrize("spelling", list(SPELLINGS))
def test_a_look_alike_spelling_never_reaches_another_accounts_password(client, physio, spelling):
    written = SPELLINGS[spelling]
    response = log_in(client, written)
    if spelling in SAME_NAME:  # the same address written another way: the same account
        assert response.status_code == 302 and logged_in_as(client) == physio
    else:  # a look-alike letter: no such account, whatever the password
        assert response.status_code == 200 and logged_in_as(client) is None
        assert "correct email address and password" in response.content.decode()


@pytest.mark.parametrize("spelling", list(SPELLINGS))
def test_after_five_wrong_passwords_no_spelling_logs_in(client, physio, spelling):
    for _ in range(5):
        log_in(client, EMAIL, "wrong")
    response = log_in(client, SPELLINGS[spelling])
    assert response.status_code in (200, 429) and logged_in_as(client) is None
    if spelling in SAME_NAME:
        assert response.status_code == 429


def test_failures_in_every_spelling_count_against_the_one_account(client, physio):
    for spelling in (EMAIL, *(SPELLINGS[s] for s in SAME_NAME)):
        log_in(client, spelling, "wrong")
    log_in(client, SPELLINGS["dotless i"], "wrong")  # another name: not this account's
    assert log_in(client, EMAIL).status_code == 302  # four failures: not locked yet
    client.post(reverse("logout"))
    for spelling in (EMAIL, *(SPELLINGS[s] for s in SAME_NAME), EMAIL):
        log_in(client, spelling, "wrong")
    assert log_in(client, EMAIL).status_code == 429


@pytest.mark.parametrize("spelling", list(SPELLINGS))
def test_an_account_is_stored_under_its_login_name_and_a_look_alike_is_another(db, clinic, physio, spelling):
    """Through the Django admin's form (superusers create accounts there): the address as its login name, and a
    second account with the same login name refused."""
    from django.contrib.admin.sites import site
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/rehab/user/add/")
    request.user = User.objects.create_superuser("root@operator.example", password=PASSWORD)
    form_class = site._registry[User].get_form(request, obj=None, change=False)
    data = {"role": "physio", "clinic": clinic.pk, "password1": PASSWORD, "password2": PASSWORD}
    written = WRITTEN[spelling]("sam@northside.example")
    new = form_class({**data, "email": written})
    assert new.is_valid(), new.errors
    assert new.save().email == login_key(written)
    again = form_class({**data, "email": SPELLINGS[spelling]})
    if spelling in SAME_NAME:
        assert not again.is_valid() and "email" in again.errors
    else:
        assert again.is_valid(), again.errors
        assert again.save().email == "alex@norths\u0131de.example"  # a name of its own, never alex's account


def test_five_failures_from_five_addresses_lock_the_account(client, physio):
    for n in range(5):
        log_in(client, EMAIL, "wrong", address=f"10.0.0.{n + 1}")
    response = log_in(client, EMAIL, address="10.0.0.99")
    assert response.status_code == 429 and logged_in_as(client) is None
    assert "Too many failed log-in attempts" in response.content.decode()


def test_one_address_across_twenty_accounts_is_locked(client, clinic, settings):
    assert settings.LOGIN_ADDRESS_FAILURE_LIMIT == 20
    accounts = [PhysioFactory(clinic=clinic, email=f"staff{n}@northside.example") for n in range(21)]
    for account in accounts[:19]:
        assert log_in(client, account.email, "wrong").status_code == 200
    assert log_in(client, accounts[20].email).status_code == 302  # 19 failures: under the address's limit
    client.post(reverse("logout"))
    assert log_in(client, accounts[19].email, "wrong").status_code == 429  # the 20th
    assert log_in(client, accounts[20].email).status_code == 429  # the right password, from that address
    assert log_in(client, accounts[20].email, address="10.9.9.9").status_code == 302  # from elsewhere: fine


def test_logging_in_to_ones_own_account_does_not_clear_the_addresss_failures(client, clinic, physio):
    others = [PhysioFactory(clinic=clinic) for _ in range(19)]
    for account in others:
        log_in(client, account.email, "wrong")
    assert log_in(client, EMAIL).status_code == 302  # 19 failures, then one's own account
    client.post(reverse("logout"))
    assert log_in(client, others[0].email, "wrong").status_code == 429


def test_a_new_password_by_email_lifts_the_accounts_lock_not_the_addresss(client, clinic, physio):
    from rehab.services import login_lockout_lift

    for n in range(5):
        log_in(client, EMAIL, "wrong", address=f"10.0.1.{n}")
    assert log_in(client, EMAIL, address="10.0.2.1").status_code == 429
    login_lockout_lift(user=physio)
    assert log_in(client, EMAIL, address="10.0.2.1").status_code == 302


def test_a_user_name_over_255_characters_is_a_form_error_and_is_counted(client, physio):
    long_name = "a" * 290 + "@x.example"
    response = log_in(client, long_name)
    assert response.status_code == 200
    assert f"An email address has at most {EMAIL_MAX_LENGTH} characters." in response.content.decode()
    for _ in range(4):
        log_in(client, long_name)
    response = log_in(client, EMAIL)  # the address's failures count: 5 of 20, not locked yet
    assert response.status_code == 302
    client.post(reverse("logout"))
    for _ in range(15):
        log_in(client, long_name)
    assert log_in(client, EMAIL).status_code == 429


def test_a_100000_character_password_is_refused_before_anything_hashes_it(client, physio):
    with mock.patch("django.contrib.auth.hashers.get_hasher") as hasher:
        response = log_in(client, EMAIL, "p" * 100_000)
    hasher.assert_not_called()
    assert response.status_code == 200 and logged_in_as(client) is None
    assert f"A password has at most {PASSWORD_MAX_LENGTH} characters." in response.content.decode()
    for _ in range(4):
        log_in(client, EMAIL, "p" * 100_000)
    assert log_in(client, EMAIL).status_code == 429  # counted as wrong passwords


def test_a_new_password_over_the_maximum_is_refused_with_the_reason(patient):
    from django.contrib.auth.password_validation import password_validators_help_texts, validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        validate_password("long-enough-and-uncommon " * 10, user=patient.user)
    assert f"use at most {PASSWORD_MAX_LENGTH} characters" in " ".join(refused.value.messages)
    validate_password("a-long-but-fine-passphrase-2026", user=patient.user)
    assert f"up to {PASSWORD_MAX_LENGTH} characters" in " ".join(password_validators_help_texts())
