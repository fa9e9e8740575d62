"""Run the whole app locally: migrate, load the demo data, then web server, Celery worker and beat.

Needs nothing installed beyond the virtual environment: SQLite is the database and Celery's broker keeps its
messages in files under var/; e-mails are kept as files under var/mail. Ctrl-C stops all three processes.
"""

import os
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from demo.supervisor import Process, Supervisor

from .seed_demo import logins


class Command(BaseCommand):
    help = "Run the demo: web server, Celery worker and Celery beat, with demo data loaded."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, port, **options):
        if not settings.DEMO or settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
            self.stderr.write("The demo runs with DEMO=1 on its own SQLite file: run it with `make demo`.")
            sys.exit(2)
        call_command("migrate", interactive=False, verbosity=0)
        call_command("seed_demo", verbosity=0)
        mail = settings.EMAIL_FILE_PATH
        python = sys.executable
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "SITE_URL": f"http://127.0.0.1:{port}",  # links in e-mails point at this server
            "LOG_LEVEL": "WARNING",
            "EMAIL_BACKEND": "demo.mail.DemoMailBackend",
            "EMAIL_FILE_PATH": str(mail),
            # Celery warns that the worker runs as root when the demo does (in a container, say): not news here.
            "PYTHONWARNINGS": "ignore::celery.exceptions.SecurityWarning",
        }
        supervisor = Supervisor(
            [
                Process("web", [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]),
                Process(
                    "worker",
                    [python, "-m", "celery", "-A", "rehab", "-q", "worker", "--pool=solo", "--loglevel=WARNING"]
                    + ["--without-gossip", "--without-mingle", "--without-heartbeat"],
                ),
                Process("beat", [python, "-m", "celery", "-A", "rehab", "-q", "beat", "--loglevel=WARNING"]),
            ],
            env=env,
            out=self.stdout,
        )
        self.stdout.write(
            self.style.SUCCESS(f"The back-rehab clinic demo: open http://127.0.0.1:{port}/   (Ctrl-C stops it)\n")
            + logins()
            + f"\nE-mails it sends are kept in {mail} and told here in one line.\n"
        )
        sys.exit(supervisor.run())
