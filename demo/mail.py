"""E-mail in the demo: each message is kept as a file under var/mail, and told in one line, not printed whole."""

import logging

from django.core.mail.backends.filebased import EmailBackend

logger = logging.getLogger("demo.mail")


class DemoMailBackend(EmailBackend):
    def send_messages(self, email_messages):
        sent = super().send_messages(email_messages)
        for message in email_messages or ():
            logger.info("e-mail to %s: %s (kept in %s)", ", ".join(message.to), message.subject, self.file_path)
        return sent
