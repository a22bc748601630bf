"""A phone on the home network as the camera: the pieces the camera page and the Live page share.

The phone's camera page sends its camera (streamlit-webrtc, SENDONLY); the server receives the track
and hands it over (``PhoneLink``) to the Live page, which coaches it with the same ``LiveCoach`` as
the webcam and sends the coached frames back to the computer's browser (RECVONLY). No STUN or TURN
server: the phone and the computer connect directly on the local network.
"""

from __future__ import annotations

import uuid

import streamlit as st
from streamlit_webrtc import WebRtcMode, create_process_track, webrtc_streamer

from pose_coach import serve
from pose_coach.live import LiveCoach
from pose_coach_app.phone_link import Phone, PhoneLink

# No outside STUN/TURN server, in the browser or on this computer (whose default would ask
# Google's STUN server): the browser and the app connect directly, on this computer or the home
# network, offline.
RTC_CONFIGURATION = {"iceServers": []}
PHONE_CAMERA = {
    "video": {
        "facingMode": {"ideal": "environment"},  # the back camera: the person faces the phone
        "width": {"ideal": 640},
        "height": {"ideal": 480},
        "frameRate": {"ideal": 30},
    },
    "audio": False,
}
WEBCAM, PHONE = "This computer's webcam", "A phone on the home network"
SEND = "Send this phone's camera"  # the camera page's switch
SESSION_KEY = "phone_session"
RERUN_FOR = "phone_rerun_for"  # the phone (its track's id) the page was last rerun for
WATCH_S = 1.0

ACCEPT_STEPS = """
**Accept this computer's certificate on the phone (once).** The app makes its own certificate, so
the phone warns that the connection is not private. That is expected: it is your own computer.
- **Android (Chrome):** tap *Advanced*, then *Proceed to {host} (unsafe)*. Then allow the camera.
- **iPhone or iPad (Safari):** tap *Show Details*, then *visit this website* and *Visit Website*.
  Then allow the camera. (In Settings > Safari > Camera, *Ask* or *Allow* must be set.)

**If the phone cannot connect:**
- The phone and this computer must be on the same Wi-Fi (not a guest network, which keeps devices
  apart; mobile data off).
- This computer's firewall must let the phone in: allow Python on private networks (Windows asks
  the first time; macOS: System Settings > Network > Firewall; Linux with ufw:
  `sudo ufw allow from 192.168.0.0/16`). The video itself uses UDP ports chosen per connection.
- Type the address exactly, with `https://`, or scan the code again.
- Only one phone at a time: close the camera page on any other phone.
"""


@st.cache_resource
def link() -> PhoneLink:
    """The server's one phone link, shared by every session."""
    return PhoneLink()


def session_id() -> str:
    """This browser session's id (the phone that holds the camera is known by it)."""
    if SESSION_KEY not in st.session_state:
        st.session_state[SESSION_KEY] = uuid.uuid4().hex
    return st.session_state[SESSION_KEY]


def pick_source(key: str, disabled: bool = False) -> str:
    return st.radio("Camera", [WEBCAM, PHONE], key=key, horizontal=True, disabled=disabled)


def refusal(phone: Phone | None) -> str:
    since = f" (since {phone.since.astimezone():%H:%M})" if phone else ""
    return (
        f"Another phone is already the camera{since}. One phone at a time: stop it "
        "(STOP, or close its page), then try again here."
    )


def how_to_connect(host: str = "this computer's address") -> None:
    st.markdown(ACCEPT_STEPS.format(host=host))


def show_address() -> None:
    """The camera page's address and its QR code, when the app was started by ``serve``."""
    url = serve.served_url()
    if url is None:
        st.warning(
            "A phone needs the app over https: start it with `pose-coach serve` (it prints the "
            "address and a QR code) instead of `streamlit run app.py`."
        )
        return
    address = serve.camera_url(url)
    left, right = st.columns([1, 2])
    left.image(serve.qr_png(address), caption="Scan with the phone's camera", width=220)
    with right:
        st.markdown("**1.** On the phone, on the same Wi-Fi, scan the code or open")
        st.code(address, language=None)
        st.markdown(
            f"**2.** Accept the certificate, turn on *{SEND}* and allow the camera. Put the "
            "phone at hip height, 2 to 3 metres to your side.  \n**3.** Press START below."
        )
        with st.expander("Accepting the certificate, and if the phone cannot connect"):
            how_to_connect(url.split("//", 1)[1].rsplit(":", 1)[0])


def coached_phone_stream(coach: LiveCoach, stopping: bool = False):
    """The phone's camera coached, played here (stopped when ``stopping``: the coach failed);
    None (with the steps) while no phone sends."""
    phone = link().phone()
    shown = id(phone.track) if phone else None
    phone_status(shown)
    if phone is None:
        show_address()
        return None
    coached = create_process_track(phone.track, queued_frames_callback=coach.recv_queued)
    context = webrtc_streamer(
        key=f"live_phone_{shown}",  # a new stream for a new phone connection
        mode=WebRtcMode.RECVONLY,
        rtc_configuration=RTC_CONFIGURATION,
        server_rtc_configuration=RTC_CONFIGURATION,
        media_stream_constraints={"video": True, "audio": False},
        source_video_track=coached,
        desired_playing_state=False if stopping else None,
    )
    st.caption("Press START to see the phone's camera, coached. Press STOP to end the session.")
    return context


@st.fragment(run_every=WATCH_S)
def phone_status(shown: int | None) -> None:
    """Whether a phone sends; reruns the page when a phone connects, reconnects or leaves.

    Once for each change: while the page's rerun is under way (seconds on a busy machine), the
    previous run's timer still fires with the old ``shown``, and a second rerun would interrupt
    the first as it mounts the video component."""
    phone = link().phone()
    now = id(phone.track) if phone else None
    if now == shown:
        st.session_state.pop(RERUN_FOR, None)
    elif st.session_state.get(RERUN_FOR, shown) != now:
        st.session_state[RERUN_FOR] = now
        st.rerun(scope="app")
    if phone is None:
        st.info("Waiting for the phone's camera...", icon=":material/smartphone:")
    else:
        since = phone.since.astimezone().strftime("%H:%M:%S")
        st.success(f"Phone camera connected at {since}.", icon=":material/smartphone:")
