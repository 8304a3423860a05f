#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    # After the settings module is named: Django reads it when this module is imported.
    from django.core.management import execute_from_command_line  # noqa: PLC0415 (needs the settings named)

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
