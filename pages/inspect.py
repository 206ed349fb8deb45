"""Inspect one image: every metric against the profile, histograms, clipping, marketplace checklist."""

import math

import pandas as pd
import streamlit as st

from core.engine.checks import format_value, metric_report
from core.engine.histogram import clipping_overlay
from core.engine.profiles import load_profile
from core.store.queries import issue_details, scores_for_version, versions_of
from core.store.reviews import history
from pages.common.charts import contributions_figure, histogram_figure
from pages.common.images import preview
from pages.common.selection import selected_version
from pages.common.session import get_store, merchant_scope, profile_names, profile_picker, require_role

user = require_role("admin", "reviewer", "merchant")
scope = merchant_scope(user)
store = get_store()

with st.sidebar:
    profile = profile_picker()

record = selected_version(store, profile=profile, merchant_id=scope)

st.title(record.file_name)
st.caption(f"Merchant `{record.merchant_id}` · SKU `{record.sku or '-'}` · {record.width}x{record.height} px · "
           f"{record.kind} version #{record.version_id} · sha256 {record.sha256[:12]}...")

prof = load_profile(profile, search=(store.profiles_dir,))
issues, contributions = issue_details(store, record.version_id, profile)
pix = preview(record.sha256, record.blob_path)

left, right = st.columns([3, 2])
with left:
    show_clip = st.toggle("Show clipping (blue: crushed shadows, red: blown highlights)", value=False)
    st.image(clipping_overlay(pix) if show_clip else pix, width="stretch")
with right:
    score = record.score if record.score is not None else math.nan
    st.metric(f"Quality score ({prof.title})", format_value(score) + " / 100")
    if issues:
        for i in issues:
            icon = ":material/error:" if i["severity"] == "error" else ":material/warning:"
            fix = f" Suggested fix: {', '.join(i['fix'])}." if i["fix"] else ""
            (st.error if i["severity"] == "error" else st.warning)(f"**{i['name']}** - {i['message']}{fix}", icon=icon)
    else:
        st.success("No issues under this profile.", icon=":material/check_circle:")
    if contributions:
        st.plotly_chart(contributions_figure(contributions), key="contrib")
    st.page_link("pages/optimize.py", label="Try fixes on the Optimize page", icon=":material/tune:",
                 query_params={"v": record.version_id})

tab_metrics, tab_hist, tab_market, tab_history = st.tabs(["Metrics", "Histograms", "Marketplace checklist", "History"])
with tab_metrics:
    lines = metric_report(record.metrics, prof)
    table = pd.DataFrame([{
        "metric": ln.metric, "value": format_value(ln.value), "unit": ln.unit, "rule": ln.rule,
        "status": {"pass": "pass", "warning": "warning", "error": "ERROR", "info": ""}[ln.status],
        "check": ln.check, "meaning": ln.meaning} for ln in lines])
    st.dataframe(table, hide_index=True, key="metrics_table")
with tab_hist:
    st.plotly_chart(histogram_figure(pix, title="Per-channel and luminance histogram (preview)"), key="hist")
with tab_market:
    per_profile = scores_for_version(store, record.version_id)
    rows = []
    for name in profile_names():
        p = load_profile(name, search=(store.profiles_dir,))
        score_p, issues_p = per_profile.get(name, (math.nan, ()))
        rows.append({"profile": p.title, "score": None if math.isnan(score_p) else round(score_p, 1),
                     "verdict": "fails" if issues_p else "passes",
                     "issues": list(issues_p), "rules": " / ".join(p.rules_text)})
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="market_table",
                 column_config={"issues": st.column_config.ListColumn("issues"),
                                "score": st.column_config.ProgressColumn("score", min_value=0, max_value=100,
                                                                         format="%.0f")})
with tab_history:
    vers = versions_of(store, record.image_id, profile=profile)
    st.dataframe(pd.DataFrame([{"version": v.version_id, "kind": v.kind, "score": v.score, "created": v.created_at,
                                "recipe": v.recipe_json} for v in vers]), hide_index=True, key="versions_table")
    decisions = history(store, record.version_id)
    rows = [{"reviewer": d.reviewer, "decision": d.decision, "reasons": ", ".join(d.reasons), "comment": d.comment,
             "decided": d.decided_at, "current": d.active} for d in decisions]
    if user.role == "merchant":
        # Merchants learn the outcome and the reasons, not who decided, and only current decisions.
        rows = [{k: v for k, v in r.items() if k != "reviewer"} for r in rows if r["current"]]
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="decisions_table")
