"""The review store: database (schema, migrations), data-folder settings, intake, scores,
queries, content-addressed blobs, reviews, accounts, analytics, feedback exports, the catalogue
and the sample seed. Built on ``core.engine``; no UI code.
"""
