"""Uploads streamed to disk: written in chunks and hashed as they arrive, refused past the limit,
and nothing left behind by a refused, empty or aborted upload."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest
from starlette.requests import ClientDisconnect, Request

from pose_coach_app import uploads
from pose_coach_app.uploads import UploadEmpty, UploadTooBig, UploadWriter

CHUNKS = [b"\x00\x01" * 1000, b"phone", bytes(range(256)) * 9]


def left_behind(home: Path) -> list[Path]:
    return sorted(p for p in uploads.upload_folder(home).rglob("*"))


def write(home: Path, name: str, chunks: list[bytes], limit: int = 10_000) -> Path:
    writer = UploadWriter(name, limit, home)
    for chunk in chunks:
        writer.write(chunk)
    return writer.finish()


def test_chunks_arrive_in_a_folder_named_by_their_digest_under_the_files_own_name(tmp_path):
    path = write(tmp_path, "My stretch (1).mp4", CHUNKS)
    data = b"".join(CHUNKS)
    assert path.read_bytes() == data
    assert path.name == "My_stretch_1_.mp4"
    assert path.parent == uploads.upload_folder(tmp_path) / hashlib.sha256(data).hexdigest()[:12]
    assert left_behind(tmp_path) == [path.parent, path]  # no temporary file left
    assert uploads.saved_path(path.parent.name, path.name, tmp_path) == path


def test_the_same_content_uploaded_twice_is_stored_once(tmp_path):
    first = write(tmp_path, "a.mp4", CHUNKS)
    second = write(tmp_path, "a.mp4", [b"".join(CHUNKS)])  # other chunks, same bytes
    assert first == second and len(left_behind(tmp_path)) == 2


def test_a_file_over_the_limit_is_refused_and_leaves_nothing(tmp_path):
    writer = UploadWriter("big.mp4", limit_bytes=100, home=tmp_path)
    writer.write(bytes(60))
    with pytest.raises(UploadTooBig):
        writer.write(bytes(41))
    assert left_behind(tmp_path) == []


def test_a_file_at_the_limit_is_kept(tmp_path):
    assert write(tmp_path, "exact.mp4", [bytes(60), bytes(40)], limit=100).stat().st_size == 100


@pytest.mark.parametrize("chunks", [[], [b""]], ids=["no chunk", "an empty chunk"])
def test_an_empty_file_is_refused_and_leaves_nothing(tmp_path, chunks):
    with pytest.raises(UploadEmpty, match="empty.mp4 is empty"):
        write(tmp_path, "empty.mp4", chunks)
    assert left_behind(tmp_path) == []


def test_an_aborted_upload_leaves_nothing(tmp_path):
    writer = UploadWriter("cut.mp4", 10_000, tmp_path)
    writer.write(b"half a video")
    writer.abort()
    assert left_behind(tmp_path) == []


@pytest.mark.parametrize(
    "digest, name",
    [
        ("../../etc/xx", "passwd"),  # not a digest
        ("0123456789ab", "../history.sqlite"),  # not a plain file name
        ("0123456789ab", "missing.mp4"),  # never saved
    ],
)
def test_saved_path_reads_back_only_what_the_route_answers(tmp_path, digest, name):
    assert uploads.saved_path(digest, name, tmp_path) is None


# -- the route: a request's body streamed to disk -------------------------------------------------


def request(chunks: list[bytes], name: str, disconnect: bool = False, length: int | None = None):
    """A PUT /api/upload request whose body arrives in ``chunks`` (then, with ``disconnect``, the
    browser goes away); ``length``: its Content-Length header."""
    messages = [{"type": "http.request", "body": c, "more_body": True} for c in chunks]
    messages.append({"type": "http.disconnect"} if disconnect else
                    {"type": "http.request", "body": b"", "more_body": False})  # fmt: skip

    async def receive():
        return messages.pop(0)

    headers = [] if length is None else [(b"content-length", str(length).encode())]
    scope = {"type": "http", "method": "PUT", "path": uploads.ROUTE, "headers": headers,
             "query_string": f"name={name}".encode()}  # fmt: skip
    return Request(scope, receive)


def test_the_route_streams_the_body_to_disk_in_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(uploads, "BLOCK", 1000)  # several blocks from these chunks
    path = asyncio.run(uploads.receive(request(CHUNKS * 3, "clip.mp4"), 100_000, tmp_path))
    assert path.read_bytes() == b"".join(CHUNKS * 3)


def test_a_browser_that_goes_away_mid_upload_leaves_nothing(tmp_path):
    with pytest.raises(ClientDisconnect):
        asyncio.run(uploads.receive(request(CHUNKS, "cut.mp4", disconnect=True), 10**6, tmp_path))
    assert left_behind(tmp_path) == []


def test_a_body_over_the_limit_without_a_length_is_refused_while_it_streams(tmp_path):
    with pytest.raises(UploadTooBig):
        asyncio.run(uploads.receive(request([bytes(700)] * 3, "big.mp4"), 2000, tmp_path))
    assert left_behind(tmp_path) == []


@pytest.mark.parametrize(
    "chunks, length, status, message",
    [
        ([bytes(10)], 3 * 2**20, 413, "big.mp4 is 3 MB; the limit is 2 MB"),  # said up front
        ([bytes(2**20)] * 3, None, 413, "big.mp4 is larger; the limit is 2 MB"),  # found streaming
        ([], 0, 400, "big.mp4 is empty (0 bytes)"),
    ],
)
def test_the_route_answers_what_is_wrong(tmp_path, monkeypatch, chunks, length, status, message):
    monkeypatch.setenv("POSE_COACH_HOME", str(tmp_path))
    monkeypatch.setattr(uploads, "limit_bytes", lambda: 2 * 2**20)
    response = asyncio.run(uploads.upload_endpoint(request(chunks, "big.mp4", length=length)))
    assert response.status_code == status
    assert message in response.body.decode()
    assert left_behind(tmp_path) == []


def test_the_route_says_when_the_file_cannot_be_stored(tmp_path, monkeypatch):
    (tmp_path / "uploads").write_text("a file where the uploads folder should be")
    monkeypatch.setenv("POSE_COACH_HOME", str(tmp_path))
    monkeypatch.setattr(uploads, "limit_bytes", lambda: 2**20)
    response = asyncio.run(uploads.upload_endpoint(request([b"video"], "clip.mp4")))
    assert response.status_code == 507
    assert "clip.mp4 cannot be saved on this computer" in response.body.decode()
