"""pose-coach's pages, served by ``app.py`` (``streamlit run app.py``).

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
LIVE = st.Page(live.render, title="Live coaching", icon="🎥", url_path="live")


def _start() -> None:
    """The app's root: opens the live page at its own URL, so every page has a stable one
    (Streamlit serves its default page at the root only, never at its own path)."""
    st.switch_page(LIVE)


page = st.navigation(
    [
        st.Page(_start, title="Start", url_path="start", default=True, visibility="hidden"),
        LIVE,
        st.Page(review.render, title="Review a video", icon="🎞️", url_path="review"),
        st.Page(tune.render, title="Tune angles", icon="🎚️", url_path="tune"),
        st.Page(history.render, title="History", icon="📅", url_path="history"),
        st.Page(progress.render, title="Progress", icon="📈", url_path="progress"),
        st.Page(camera.render, title="Phone camera", icon="📱", url_path="camera"),
    ]
)
widgets.person_sidebar()
widgets.settings_sidebar()
widgets.report_abandoned()
page.run()
