"""Uploads streamed to disk as they arrive, never held in memory.

Streamlit's own ``st.file_uploader`` keeps every upload in the server's memory for as long as the
browser session shows it (``MemoryUploadedFileManager``): a 2 GB phone recording would take 2 GB
of RAM. Instead, the page's upload field (``upload_field.py``) sends the file's raw bytes in one
``PUT /api/upload?name=NAME`` to the route below, which ``app.py`` adds to Streamlit's own server
through ``st.App(routes=...)``, Streamlit's supported way to serve routes of one's own.

``UploadWriter`` writes the chunks to a temporary file in ``$POSE_COACH_HOME/uploads``, hashing
as it goes, refuses more than the limit, and on completion renames the file to
``uploads/<content digest>/<its name>`` (one folder per content, so the same file uploaded twice
is stored once and keeps its own name); an aborted or refused upload leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

import anyio
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pose_coach.config import home_dir

ROUTE = "/api/upload"
FOLDER = "uploads"
DIGEST_CHARS = 12  # the folder's name: the first characters of the content's sha256
BLOCK = 1 << 20  # bytes handed to the writer's thread at a time


class UploadTooBig(ValueError):
    """More bytes arrived than the limit allows."""


class UploadEmpty(ValueError):
    """No bytes arrived."""


def safe_name(name: str) -> str:
    """The upload's own name, reduced to a plain file name (no folders, no odd characters)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name).strip("._") or "video"
    return stem[-80:]


def upload_folder(home: Path | None = None) -> Path:
    return (home or home_dir()) / FOLDER


def saved_path(digest: str, name: str, home: Path | None = None) -> Path | None:
    """Where an upload with content ``digest`` (as the route answered it) and ``name`` was saved,
    or None if it is not there (or the answer is not one the route gives)."""
    if not re.fullmatch(f"[0-9a-f]{{{DIGEST_CHARS}}}", digest) or name != safe_name(name):
        return None
    path = upload_folder(home) / digest / name
    return path if path.is_file() else None


class UploadWriter:
    """One upload on its way to disk: ``write`` its chunks, then ``finish`` (or ``abort``)."""

    def __init__(self, name: str, limit_bytes: int, home: Path | None = None) -> None:
        self.name = safe_name(name)
        self.limit_bytes = limit_bytes
        self.size = 0
        self._folder = upload_folder(home)
        self._folder.mkdir(parents=True, exist_ok=True)
        self._digest = hashlib.sha256()
        handle, temp = tempfile.mkstemp(dir=self._folder, prefix=".upload-", suffix=".part")
        self._temp = Path(temp)
        self._stream = os.fdopen(handle, "wb")

    def write(self, chunk: bytes) -> None:
        """Append ``chunk``; past the limit, abort (the partial file is removed) and raise."""
        self.size += len(chunk)
        if self.size > self.limit_bytes:
            self.abort()
            raise UploadTooBig(f"{self.name} is over the limit of {self.limit_bytes} bytes")
        self._digest.update(chunk)
        self._stream.write(chunk)

    def finish(self) -> Path:
        """Close the file and move it to ``uploads/<digest>/<name>``; returns where it is. An
        empty file is removed and refused."""
        self._stream.close()
        if self.size == 0:
            self.abort()
            raise UploadEmpty(f"{self.name} is empty (0 bytes): record or upload it again.")
        path = self._folder / self._digest.hexdigest()[:DIGEST_CHARS] / self.name
        try:
            path.parent.mkdir(exist_ok=True)
            os.replace(self._temp, path)
        finally:
            self._temp.unlink(missing_ok=True)
        return path

    def abort(self) -> None:
        """Close and remove the partial file."""
        self._stream.close()
        self._temp.unlink(missing_ok=True)


async def receive(request: Request, limit_bytes: int, home: Path | None = None) -> Path:
    """Stream ``request``'s body (the file's raw bytes) to disk; returns where it was saved.

    The chunks are gathered into blocks of ``BLOCK`` bytes and written and hashed in a worker
    thread, so the server's event loop stays free and memory stays at a block or two."""
    name = request.query_params.get("name", "")
    writer = UploadWriter(name, limit_bytes, home)
    block = bytearray()
    try:
        async for chunk in request.stream():
            block += chunk
            if len(block) >= BLOCK:
                await anyio.to_thread.run_sync(writer.write, bytes(block))
                block.clear()
        await anyio.to_thread.run_sync(writer.write, bytes(block))
        return await anyio.to_thread.run_sync(writer.finish)
    except BaseException:  # refused, disconnected or cancelled: nothing is left behind
        writer.abort()
        raise


def too_big(name: str, size_bytes: float | None, limit_bytes: float) -> str:
    """The message for a file over the limit: its name and size (if known), the limit, and what
    to do."""
    size = f"is {size_text(size_bytes)}" if size_bytes is not None else "is larger"
    return (f"{name} {size}; the limit is {size_text(limit_bytes)}: trim the video to the "
            "stretch itself (or record it at a lower resolution) and upload it again.")  # fmt: skip


def size_text(size_bytes: float) -> str:
    """A size in binary units, as the limit is (``server.maxUploadSize`` is in MiB)."""
    gb, mb = size_bytes / (1 << 30), size_bytes / (1 << 20)
    return f"{gb:.1f} GB" if gb >= 1 else f"{mb:.0f} MB"


def limit_bytes() -> int:
    """The upload limit: ``server.maxUploadSize`` (MB) in ``.streamlit/config.toml``."""
    import streamlit as st

    return int(st.get_option("server.maxUploadSize")) * 1024 * 1024


async def upload_endpoint(request: Request) -> JSONResponse:
    """``PUT /api/upload?name=NAME``: the file's bytes in, ``{"digest", "name", "size"}`` out;
    413 with the message to show when the file is over the limit, 400 when it is empty."""
    name = safe_name(request.query_params.get("name", ""))
    limit = limit_bytes()
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:  # refused before a byte is read
        return JSONResponse({"error": too_big(name, int(declared), limit)}, status_code=413)
    try:
        path = await receive(request, limit)
    except UploadTooBig:
        return JSONResponse({"error": too_big(name, None, limit)}, status_code=413)
    except UploadEmpty as error:
        return JSONResponse({"error": str(error)}, status_code=400)
    except ClientDisconnect:  # the browser went away: nobody reads the answer
        return JSONResponse({"error": "the upload was interrupted"}, status_code=400)
    except OSError as error:  # the disk is full, the home folder cannot be written...
        message = f"{name} cannot be saved on this computer ({error.strerror}): free some space "
        return JSONResponse({"error": message + "and upload it again."}, status_code=507)
    return JSONResponse(answer(path))


def answer(path: Path) -> dict[str, object]:
    """What the route answers for an upload saved at ``path`` (``saved_path`` reads it back)."""
    return {"digest": path.parent.name, "name": path.name, "size": path.stat().st_size}


def routes() -> list[Route]:
    """The upload route, for ``st.App(routes=...)``."""
    return [Route(ROUTE, upload_endpoint, methods=["PUT"])]
