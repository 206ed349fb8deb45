"""Image Quality Desk: scoring, optimizing and reviewing merchant product photos.

``core`` is built in floors; a floor imports only the floors below it (checked by import-linter,
see ``pyproject.toml``):

- ``core.vocabulary``: shared names and constants (analysis size, decisions, roles, version
  kinds, image extensions); imports nothing from ``core``.
- ``core.engine``: pure image work on RGB ``uint8`` arrays (loading, measures, checks, profiles,
  operations, recipes, auto-fix, comparison, batch scoring); no SQL, no UI.
- ``core.store``: the database (schema, migrations), intake, scores, queries, blobs, reviews,
  accounts, analytics and exports.
- ``core.services``: what the pages and the command line ask for, as plain functions.
- ``core.cli``: the command line (``python -m core``).

The Streamlit pages (``pages/``) sit above the services. No UI code lives in ``core``.
"""
