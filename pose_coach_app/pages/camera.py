"""The phone's page: it only sends the phone's camera to this computer, where the Live page
coaches it. One phone at a time; another is refused with what to do."""

from __future__ import annotations

import logging
import time

import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from pose_coach_app import phone

CAMERA_ON = "phone_camera_on"  # session state (the switch's): the person asked this phone to send
# Session state: how many times the connection stopped by itself, whether it was connecting or
# sending at the last run, and whether a new video component is being put on the page.
DROPS, ACTIVE, FRESH = "phone_camera_drops", "phone_camera_active", "phone_camera_fresh"
CONNECTING_SINCE = "phone_camera_connecting_since"  # session state: offered, not sending yet
# A connection that has neither come up nor failed by then is given up, and a new video component
# put on the page, as after a drop: a connection given another's answer fails after about 15 s
# (below), one whose offer was never answered never did (one CI run: "Connecting..." for 120 s).
CONNECT_TIMEOUT_S = 25.0
LOG = logging.getLogger(__name__)


def _new_component() -> None:
    """Put a new video component on the page, stopped, to be started at the next run."""
    st.session_state[DROPS] += 1
    st.session_state[FRESH] = True
    st.session_state[ACTIVE] = False
    st.session_state.pop(CONNECTING_SINCE, None)


@st.fragment(run_every=phone.WATCH_S)
def connecting_watch() -> None:
    """While the camera connects: a connection neither up nor failed after ``CONNECT_TIMEOUT_S``
    is given up for a new video component."""
    since = st.session_state.get(CONNECTING_SINCE)
    if since is not None and time.monotonic() - since > CONNECT_TIMEOUT_S:
        LOG.warning("the phone's connection neither came up nor failed in %.0f s: a new video "
                    "component", CONNECT_TIMEOUT_S)  # fmt: skip
        _new_component()
        st.rerun(scope="app")


def render() -> None:
    st.title("Phone camera")
    st.caption(
        "This page sends this phone's camera to the computer running pose-coach, on your own "
        "network; the coaching shows on the computer's Live page."
    )
    me, link = phone.session_id(), phone.link()
    other = link.taken_by_other(me)
    if other is not None:
        st.error(phone.refusal(other), icon=":material/block:")
        st.button("Try again")
        return
    # The page, not the video component, says whether the camera should send; the component
    # stops its stream by itself whenever the connection reads "disconnected" (a moment's Wi-Fi
    # drop, a busy computer), and the page then connects again. A switch, not a button: a press
    # is sent once, and one sent as the video component's first message made the page run again
    # was lost (3 of 75 on a busy machine); the switch's state goes with every run after it.
    on = st.toggle(phone.SEND, key=CAMERA_ON)
    fresh = st.session_state.pop(FRESH, False)  # put on the page stopped, started at the next run
    context = webrtc_streamer(
        key=f"phone_camera_{st.session_state.setdefault(DROPS, 0)}",
        mode=WebRtcMode.SENDONLY,
        rtc_configuration=phone.RTC_CONFIGURATION,
        server_rtc_configuration=phone.RTC_CONFIGURATION,
        media_stream_constraints=phone.PHONE_CAMERA,
        desired_playing_state=on and not fresh,
    )
    active = context.state.playing or context.state.signalling
    if on and st.session_state.get(ACTIVE) and not active:
        # The connection dropped or failed. The component would start again by itself, but it
        # makes two or three connections at once when it starts while the page updates it, and
        # the computer answers only the first (measured: 15 s lost to each wrong pairing, a minute
        # and more in all). A new component is put on the page stopped, and asked to start at the
        # next run (the one it asks for once it is on the page), as the Start button does: mostly
        # one connection, at once (27 of 30 reconnections took under 12 s, 3 took 16 s). Stop
        # then Start starts the same component again: when its second connection fails, this
        # puts up a new one too (the phone sends again after about 16 s).
        _new_component()
        st.rerun()
    st.session_state[ACTIVE] = active
    track = context.input_video_track if context.state.playing else None
    # Offered (the camera allowed), not sending yet: watched. Waiting for the person to allow the
    # camera is not.
    if on and context.state.signalling and not context.state.playing:
        st.session_state.setdefault(CONNECTING_SINCE, time.monotonic())
        connecting_watch()
    else:
        st.session_state.pop(CONNECTING_SINCE, None)
    if track is None:
        link.disconnect(me)
        if on:
            st.info("Connecting to the computer...", icon=":material/sync:")
        else:
            st.info(
                f"Turn on **{phone.SEND}** and allow the camera. Then put the phone at hip height, "
                "2 to 3 metres to your side, and go to the computer."
            )
    elif link.connect(me, track):
        st.success(
            "Sending to the computer. Keep this page open, with the screen on.",
            icon=":material/videocam:",
        )
    else:  # another phone started at the same moment, and first
        st.error(phone.refusal(link.taken_by_other(me)), icon=":material/block:")
    with st.expander("If it does not connect"):
        phone.how_to_connect()
