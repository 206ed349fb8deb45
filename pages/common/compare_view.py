"""A before/after image comparison with a draggable divider: a Streamlit custom component v2.

Everything is inline (HTML, CSS, JS); nothing is fetched from a CDN. The divider follows the
mouse, touch, or the arrow keys; where it was left is reported back as state ``position``
(0-100, percent from the left) so it survives reruns.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from pages.common.images import data_url

_HTML = """
<div class="bac" tabindex="0" role="slider" aria-label="Before/after divider" aria-valuemin="0" aria-valuemax="100">
  <img class="after" alt="After" draggable="false">
  <img class="before" alt="Before" draggable="false">
  <div class="handle"><div class="knob">&#x2194;</div></div>
  <span class="tag left">Before</span><span class="tag right">After</span>
</div>
"""

_CSS = """
.bac { position: relative; display: block; width: 100%; max-width: 100%; user-select: none; touch-action: none;
       cursor: ew-resize; outline: none; border-radius: 6px; overflow: hidden; line-height: 0; }
.bac:focus-visible { box-shadow: 0 0 0 3px var(--st-primary-color, #1f6feb); }
/* Small images are scaled up to the column (and tall ones kept within the screen's height). */
.bac img { display: block; width: 100%; height: auto; pointer-events: none; image-rendering: auto; }
.bac img.before { position: absolute; top: 0; left: 0; width: 100%; height: 100%; }
.bac .handle { position: absolute; top: 0; bottom: 0; width: 2px; margin-left: -1px;
               background: #fff; box-shadow: 0 0 0 1px rgba(0,0,0,.35); }
.bac .knob { position: absolute; top: 50%; left: 50%; transform: translate(-50%, -50%); width: 30px; height: 30px;
             border-radius: 50%; background: #fff; color: #333; font: 16px/30px sans-serif; text-align: center;
             box-shadow: 0 1px 4px rgba(0,0,0,.45); }
.bac .tag { position: absolute; top: 8px; padding: 2px 8px; font: 12px/18px sans-serif; color: #fff;
            background: rgba(0,0,0,.55); border-radius: 4px; max-width: calc(50% - 16px); overflow: hidden;
            text-overflow: ellipsis; white-space: nowrap; box-sizing: border-box; }
.bac .tag.left { left: 8px; } .bac .tag.right { right: 8px; }
"""

_JS = """
export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const root = parentElement.querySelector('.bac');
  if (!root || !data) { return; }
  const before = root.querySelector('img.before');
  const after = root.querySelector('img.after');
  const handle = root.querySelector('.handle');
  const show = (pct) => {
    const p = Math.max(0, Math.min(100, pct));
    root.dataset.position = p.toFixed(1);
    root.setAttribute('aria-valuenow', Math.round(p));
    before.style.clipPath = 'inset(0 ' + (100 - p) + '% 0 0)';
    handle.style.left = p + '%';
    return p;
  };
  if (before.getAttribute('src') !== data.before) { before.setAttribute('src', data.before); }
  if (after.getAttribute('src') !== data.after) { after.setAttribute('src', data.after); }
  if (data.width) { root.style.width = data.width + 'px'; }
  else if (data.aspect) {
    // As wide as the column, but no taller than the height given (portrait shots).
    root.style.width = 'min(100%, calc(' + data.max_height + ' * ' + data.aspect + '))';
  }
  if (root.dataset.bound !== '1') {
    root.dataset.bound = '1';
    show(typeof data.position === 'number' ? data.position : 50);
    let dragging = false;
    const fromEvent = (e) => {
      const r = root.getBoundingClientRect();
      return show(((e.clientX - r.left) / r.width) * 100);
    };
    root.addEventListener('pointerdown', (e) => { dragging = true; root.setPointerCapture(e.pointerId); fromEvent(e); });
    root.addEventListener('pointermove', (e) => { if (dragging) { fromEvent(e); } });
    const end = (e) => {
      if (!dragging) { return; }
      dragging = false;
      setStateValue('position', Number(root.dataset.position));
    };
    root.addEventListener('pointerup', end);
    root.addEventListener('pointercancel', end);
    root.addEventListener('keydown', (e) => {
      const step = e.shiftKey ? 10 : 2;
      let p = Number(root.dataset.position || 50);
      if (e.key === 'ArrowLeft') { p = show(p - step); } else if (e.key === 'ArrowRight') { p = show(p + step); }
      else { return; }
      e.preventDefault();
      setStateValue('position', p);
    });
  }
}
"""

_component = st.components.v2.component("imagedesk_before_after", html=_HTML, css=_CSS, js=_JS)


def before_after(
    before: np.ndarray | None,
    after: np.ndarray | None,
    *,
    key: str,
    width: int | None = None,
    before_url: str | None = None,
    after_url: str | None = None,
    aspect: float | None = None,
    max_height: str = "75vh",
) -> float:
    """Show ``before`` over ``after`` with a draggable divider; returns the divider position (0-100).

    Both images should be previews (<= 1024 px); they are sent as JPEG data URLs
    (``before_url`` / ``after_url``, if given, are used as they are: pass cached ones to save an
    encode per rerun; then ``aspect``, width / height, sizes the view). If the shapes differ (a
    crop or pad), ``before`` is shown at ``after``'s size. The view fills the column's width
    (small images are scaled up), at most ``max_height`` tall (a CSS length: 75% of the window's
    height unless given).
    """
    if before is not None and after is not None and before.shape != after.shape:
        before_url = None
        import cv2

        before = cv2.resize(before, (after.shape[1], after.shape[0]), interpolation=cv2.INTER_AREA)
    if after is not None:
        aspect = after.shape[1] / max(1, after.shape[0])
    if (before_url is None and before is None) or (after_url is None and after is None):
        raise ValueError("before_after needs each image as pixels or as a data URL")
    state_key = f"{key}__pos"
    position = float(st.session_state.get(state_key, 50.0))
    data: dict[str, Any] = {
        "before": before_url or data_url(before),
        "after": after_url or data_url(after),  # type: ignore[arg-type]
        "position": position,
        "width": width,
        "aspect": round(aspect, 4) if aspect else None,
        "max_height": max_height,
    }
    result = _component(key=key, data=data, default={"position": position}, on_position_change=lambda: None)
    try:
        pos = float(result.position) if result is not None and result.position is not None else position
    except (AttributeError, TypeError, ValueError):
        pos = position
    st.session_state[state_key] = pos
    return pos
