"""pose-coach in the browser: ``streamlit run app.py``.

Six pages over the same engine (``pose_coach``): live coaching from the webcam (or a phone's camera,
whose own page only sends it), review of a video, tuning the reference angles, the history of
sessions and the progress over weeks. Everything runs on this machine.
"""

import streamlit as st

from pose_coach_app import widgets
from pose_coach_app.pages import camera, history, live, progress, review, tune

# Emoji icons only: the page icon becomes the favicon, and Streamlit fetches a Material-icon favicon
# from Google's servers, while it draws an emoji one itself (the app makes no outside request).
st.set_page_config(page_title="pose-coach", page_icon="🧘", layout="wide")
page = st.navigation(
    [
        st.Page(live.render, title="Live coaching", icon="🎥", url_path="live", default=True),
        st.Page(review.render, title="Review a video", icon="🎞️", url_path="review"),
        st.Page(tune.render, title="Tune angles", icon="🎚️", url_path="tune"),
        st.Page(history.render, title="History", icon="📅", url_path="history"),
        st.Page(progress.render, title="Progress", icon="📈", url_path="progress"),
        st.Page(camera.render, title="Phone camera", icon="📱", url_path="camera"),
    ]
)
widgets.person_sidebar()
widgets.settings_sidebar()
page.run()
