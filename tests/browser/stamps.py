"""Camera frames that carry a stamp, read back from the coached video a page shows.

A stamp is a number drawn as black and white blocks (one block a bit) on the wall above the person,
right of the overlay's text lines, where the coach draws nothing. ``READ_STAMPS`` reads the stamp of
every frame the receiving ``<video>``'s track delivers (``MediaStreamTrackProcessor``: each decoded
frame, whether or not headless Chromium paints it). A coached frame the server sends again while
the next one is coached carries the same stamp, so counting changes of stamp counts the distinct
coached frames the person sees.

Two kinds of stamp:
- the frame's number in the fake camera's clip, written into the clip (``stamp_frame``): the browser
  test counts distinct frames with it, at no cost to the browser;
- the time the frame was taken (``STAMPED_CAMERA``, a page's init script that wraps
  ``getUserMedia`` and draws each camera frame on a canvas with the time, ms, 24 bits): the
  latency benchmark reads it back; both pages run in one browser, so their clocks are one clock.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BLOCK, LEFT, TOP, PER_ROW = 16, 440, 100, 12  # in a 640x480 frame
TIME_BITS = 24
FRAME_BITS = 8  # 7 bits of the frame's number in the clip and a parity bit
# A time stamp read back as more than this old is a misread (one in 500 misreads would pass).
WINDOW_MS = 30_000

STAMPED_CAMERA = f"""
(() => {{
  const devices = navigator.mediaDevices;
  if (!devices || !devices.getUserMedia) return;
  const original = devices.getUserMedia.bind(devices);
  devices.getUserMedia = async (constraints) => {{
    const camera = await original(constraints);
    if (!constraints || !constraints.video) return camera;
    const video = document.createElement('video');
    video.muted = true; video.srcObject = camera; await video.play();
    const canvas = document.createElement('canvas');
    canvas.width = 640; canvas.height = 480;
    const context = canvas.getContext('2d');
    setInterval(() => {{
      context.drawImage(video, 0, 0, 640, 480);
      const now = Date.now() % {2**TIME_BITS};
      for (let bit = 0; bit < {TIME_BITS}; bit++) {{
        context.fillStyle = (now >> bit) & 1 ? '#fff' : '#000';
        context.fillRect({LEFT} + {BLOCK} * (bit % {PER_ROW}),
                         {TOP} + {BLOCK} * Math.floor(bit / {PER_ROW}), {BLOCK}, {BLOCK});
      }}
    }}, 1000 / 30);
    return canvas.captureStream(30);
  }};
}})();
"""

# Every frame delivered for ``ms``: [the time it was read (Date.now(), ms), its stamp].
READ_STAMPS = f"""
async (video, [ms, bits]) => {{
  const track = video.srcObject.getVideoTracks()[0].clone();
  const reader = new MediaStreamTrackProcessor({{track}}).readable.getReader();
  const width = {PER_ROW} * {BLOCK}, height = 2 * {BLOCK};
  const context = new OffscreenCanvas(width, height).getContext('2d', {{willReadFrequently: true}});
  const read = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {{  // a frozen video ends the reading at ``ms`` too
    const timeout = new Promise((r) => setTimeout(() => r({{done: true}}), end - performance.now()));
    const {{value: frame, done}} = await Promise.race([reader.read(), timeout]);
    if (done) break;
    const now = Date.now();
    const scale = frame.displayWidth / 640;
    context.drawImage(frame, {LEFT} * scale, {TOP} * scale, width * scale, height * scale,
                      0, 0, width, height);
    frame.close();
    const pixels = context.getImageData(0, 0, width, height).data;
    let stamp = 0;
    for (let bit = 0; bit < bits; bit++) {{
      const x = {BLOCK} * (bit % {PER_ROW}) + {BLOCK} / 2;
      const y = {BLOCK} * Math.floor(bit / {PER_ROW}) + {BLOCK} / 2;
      const i = 4 * (y * width + x);
      if ((pixels[i] + pixels[i + 1] + pixels[i + 2]) / 3 > 128) stamp += 2 ** bit;
    }}
    read.push([now, stamp]);
  }}
  reader.cancel(); track.stop();
  return read;
}}
"""


def stamp_frame(rgb: np.ndarray, number: int) -> None:
    """Draw ``number`` (its 7 low bits and a parity bit) on a 640x480 RGB frame, in place."""
    value = number % 128
    value |= (bin(value).count("1") % 2) << 7
    for bit in range(FRAME_BITS):
        x, y = LEFT + BLOCK * (bit % PER_ROW), TOP + BLOCK * (bit // PER_ROW)
        rgb[y : y + BLOCK, x : x + BLOCK] = 255 if value >> bit & 1 else 0


def _frame_number(stamp: int) -> int | None:
    """The clip's frame number a stamp read back names, or None if its parity is wrong."""
    value = stamp & 127
    return value if bin(value).count("1") % 2 == stamp >> 7 & 1 else None


@dataclass(frozen=True)
class Reading:
    """What a page's video delivered over ``seconds``: every frame's [read time (ms), stamp]."""

    frames: np.ndarray  # shape (n, 2)
    seconds: float

    def distinct_frames(self) -> int:
        """Frames of the clip (``stamp_frame``) that differ from the frame before."""
        numbers = [n for n in map(_frame_number, self.frames[:, 1].astype(int)) if n is not None]
        return sum(1 for a, b in zip(numbers, numbers[1:], strict=False) if a != b)

    def latencies(self) -> np.ndarray:
        """Per distinct time stamp (``STAMPED_CAMERA``): read time - capture time (ms), leaving
        out stamps that did not read back (not in the last ``WINDOW_MS``, or not after the one
        before)."""
        period = 2**TIME_BITS
        kept, last = [], None
        for now, stamp in self.frames.astype(np.int64):
            latency = (now % period - stamp) % period
            newer = last is None or 0 < (stamp - last) % period < WINDOW_MS
            if latency < WINDOW_MS and newer:
                kept.append(latency)
                last = stamp
        return np.array(kept, float)

    def summary(self, name: str) -> str:
        """The time stamps' figures, for the benchmark."""
        latencies = self.latencies()
        delivered = f"{len(self.frames) / self.seconds:.1f} frames/s delivered"
        if not len(latencies):
            return f"{name}: no time stamp read back ({delivered})"
        p50, p95 = np.percentile(latencies, [50, 95])
        return (f"{name}: {len(latencies) / self.seconds:.1f} distinct coached frames/s "
                f"({delivered}), latency camera -> page median {p50:.0f} ms, 95th percentile "
                f"{p95:.0f} ms")  # fmt: skip


def read_stamps(video, seconds: float, bits: int) -> Reading:
    """The stamps (of ``bits`` bits) of the frames ``video`` (a Playwright locator of a
    ``<video>`` element) delivers for ``seconds``."""
    found = video.evaluate(READ_STAMPS, [seconds * 1000, bits])
    return Reading(np.array(found, float).reshape(-1, 2), seconds)
