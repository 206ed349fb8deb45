"""The command line: ``python -m core ...`` (or the ``imagedesk`` console script)."""
