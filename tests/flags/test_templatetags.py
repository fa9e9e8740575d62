from flags.templatetags.flag_tags import flag_values


def test_flag_values_read_dates_as_the_app_does():
    rows = dict(flag_values({"last_session": "2026-11-23", "rest_days": 3, "session_date": "not a date"}))
    assert rows["Last session"] == "Mon 23 Nov 2026"
    assert rows["Whole days without a session"] == 3
    assert "not a date" in rows.values()  # shown as it is rather than failing
