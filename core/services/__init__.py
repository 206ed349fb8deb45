"""The service layer: what the pages and the command line ask for, as plain functions.

Sits above ``core.store`` and ``core.engine`` and below ``pages`` and ``core.cli``. Business
rules that today live in page scripts move here (issue 7); nothing is here yet.
"""
