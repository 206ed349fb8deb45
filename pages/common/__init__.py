"""Streamlit glue shared by the pages: session and roles, cached image access, the
before/after component and chart builders. No image math here; that lives in ``core``."""
