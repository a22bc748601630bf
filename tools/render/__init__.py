"""Renderer of synthetic people doing psoas stretches, with exact ground truth.

An optional tool: it needs torch and anny, which nothing in `pose_coach/` imports.
Run it as `python -m tools.render ...`; see `tools/render/README.md`.
"""
