"""Password validators of the app's own (settings.AUTH_PASSWORD_VALIDATORS)."""

from django.core.exceptions import ValidationError

from .rules import PASSWORD_MAX_LENGTH


class MaximumLengthValidator:
    """A password of at most PASSWORD_MAX_LENGTH characters: longer ones are refused before anything hashes them."""

    def __init__(self, max_length: int = PASSWORD_MAX_LENGTH):
        self.max_length = max_length

    def validate(self, password, user=None):
        if len(password) > self.max_length:
            raise ValidationError(
                f"This password is too long: use at most {self.max_length} characters.", code="password_too_long"
            )

    def get_help_text(self):
        return f"Your password can have up to {self.max_length} characters."
