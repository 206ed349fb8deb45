"""The image engine: pure functions on RGB ``uint8`` arrays and plain data; no SQL, no UI.

Loading, measuring, foreground, checks and profiles, comparison, histograms, operations,
recipes, auto-fix, duplicates, assessment, batch scoring and image export.
"""

ENGINE_VERSION = "2.24.0"
"""Stored with every analysis and score, so results from another engine version can be told apart."""
