#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rehab.settings")
    # manage.py is the developer's tool: local runs default to DEBUG. Servers start through wsgi.py, and
    # docker compose and .env.example set DEBUG=0 explicitly, so production still needs its SECRET_KEY.
    os.environ.setdefault("DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
