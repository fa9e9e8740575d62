from django.apps import AppConfig


class TestDatabaseConfig(AppConfig):
    """The test suite's own commands (listed first in tests/settings.py, so that they take precedence)."""

    name = "tests.testdb"
    label = "testdb"
