"""pose-coach in the browser: ``streamlit run app.py``.

The pages are in ``app_pages.py``. This launcher serves them with Streamlit's own server plus one
route of ours, through ``st.App`` (Streamlit's supported way to add routes): uploads streamed to
disk as they arrive (``pose_coach_app/uploads.py``), where ``st.file_uploader`` would keep a whole
phone recording in the server's memory.
"""

import streamlit as st

from pose_coach_app import uploads

app = st.App("app_pages.py", routes=uploads.routes())
