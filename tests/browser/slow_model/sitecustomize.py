"""A slow pose model, for the app's server in ``test_live_step_down.py`` (this folder is put on its
PYTHONPATH, and Python imports ``sitecustomize`` at start-up): every inference takes ``DELAY_S``
longer, as on a machine too slow to coach every camera frame."""

import time

from pose_coach.input import pose

DELAY_S = 0.060
_detect = pose.PoseEstimator.detect


def _slow_detect(self, rgb, timestamp_s):
    time.sleep(DELAY_S)
    return _detect(self, rgb, timestamp_s)


pose.PoseEstimator.detect = _slow_detect
