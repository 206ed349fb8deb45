"""The service layer: what the pages and the command line ask for, as plain functions.

Sits above ``core.store`` and ``core.engine`` and below ``pages`` and ``core.cli``. The business
rules live here, each with a unit test in ``tests/core/services/``: ``access`` (the role policy:
which role sees which page, merchant scope), ``review`` (the queue, what a decision carries, what
merchants see of it), ``upload`` (zip or image), ``optimize`` (the score estimate, rendering and
saving), ``catalog`` (findings, the marketplace checklist), ``profiles``, ``feedback``,
``accounts`` (signing in, the Users form, single sign-on), ``sessions`` (sign-in sessions, sign-out),
``startup`` (opening the store, the first start), ``overview``, ``measuring`` and ``cluster``.
See ARCHITECTURE.md.
"""
