"""The upload field: a file picker whose file goes to disk as it arrives (``uploads.py``).

It replaces ``st.file_uploader``, which keeps the whole file in the server's memory. The browser
sends the file itself (``XMLHttpRequest.send(file)`` reads it from disk as it goes), shows the
progress, and says in the page, before sending anything, when a file is over the limit. Once the
server has saved it, the field's state is the server's answer (``{"digest", "name", "size"}``),
which ``uploads.saved_path`` turns back into the saved file.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from pose_coach_app import uploads

HTML = """<label class="pc-upload"><span class="pc-label"></span><input type="file"></label>
<div class="pc-status" aria-live="polite" hidden></div>
<div class="pose-coach-too-big" role="alert" hidden></div>"""
CSS = """.pc-upload { display: flex; flex-direction: column; gap: 0.5rem; font-size: 0.9rem; }
.pc-status { margin-top: 0.5rem; font-size: 0.9rem; }
.pose-coach-too-big { color: #7d1a1a; background: #ffe9e9; padding: 0.75rem 1rem;
  border-radius: 0.5rem; margin-top: 0.5rem; }"""
JS = """
export default function ({ parentElement, data, setStateValue }) {
  const input = parentElement.querySelector("input[type=file]");
  const status = parentElement.querySelector(".pc-status");
  const alert = parentElement.querySelector(".pose-coach-too-big");
  parentElement.querySelector(".pc-label").textContent = data.label;
  input.accept = data.accept;
  const show = (node, text) => { node.textContent = text; node.hidden = !text; };
  const size = (b) => b >= 2 ** 30 ? (b / 2 ** 30).toFixed(1) + " GB" : Math.round(b / 2 ** 20) + " MB";
  input.onchange = () => {
    const file = input.files[0];
    show(status, ""); show(alert, "");
    setStateValue("upload", null);
    if (!file) return;
    if (file.size > data.limit) {
      show(alert, data.too_big.replace("NAME", file.name).replace("SIZE", size(file.size)));
      return;
    }
    const request = new XMLHttpRequest();
    request.open("PUT", data.url + "?name=" + encodeURIComponent(file.name));
    request.upload.onprogress = (e) => show(status,
      `Uploading ${file.name}: ${Math.floor((100 * e.loaded) / Math.max(e.total, 1))}%`);
    request.onload = () => {
      let answer = {};
      try { answer = JSON.parse(request.responseText); } catch (error) { /* not JSON */ }
      if (request.status === 200) {
        show(status, `${file.name} uploaded (${size(answer.size)}).`);
        setStateValue("upload", answer);
      } else {
        show(status, "");
        show(alert, answer.error || `The upload of ${file.name} failed (HTTP ${request.status}): try again.`);
      }
    };
    request.onerror = () => { show(status, "");
      show(alert, `The upload of ${file.name} failed: is the app still running? Try again.`); };
    request.send(file);
  };
}
"""
_FIELD = st.components.v2.component("pose_coach_upload", html=HTML, css=CSS, js=JS)


def upload_field(label: str, types: list[str], key: str) -> Path | None:
    """The file picker; the saved upload once the server has it, else None. ``types``: the file
    name extensions offered."""
    limit = uploads.limit_bytes()
    data = {
        "label": f"{label}, up to {uploads.size_text(limit)}",
        "accept": ",".join(f".{t}" for t in types),
        "limit": limit,
        "url": uploads.ROUTE,
        "too_big": uploads.too_big("NAME", 0, limit).replace(" is 0 MB;", " is SIZE;"),
    }
    result = _FIELD(key=key, data=data, default={"upload": None}, on_upload_change=lambda: None)
    answer = result.upload
    if not answer:
        return None
    path = uploads.saved_path(str(answer.get("digest")), str(answer.get("name")))
    if path is None:
        st.error(f"{answer.get('name')} is no longer on the server: upload it again.")
    return path
