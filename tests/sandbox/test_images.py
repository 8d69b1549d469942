"""The image pull client's pure parts: Docker's reference grammar and layer unpacking into
overlayfs form (whiteouts, opaque directories), then an overlay mount showing the result."""

from __future__ import annotations

import io
import os
import stat
import tarfile
from pathlib import Path

import pytest

from gureum.sandbox import images
from gureum.sandbox.images import PullError, Reference, parse_reference, unpack_layer


@pytest.mark.parametrize(
    "text,ref",
    [
        ("busybox", Reference("registry-1.docker.io", "library/busybox", "latest")),
        ("user/app:1.0", Reference("registry-1.docker.io", "user/app", "1.0")),
        ("localhost:4566/app", Reference("localhost:4566", "app", "latest")),
        ("127.0.0.1:5000/a/b:v2", Reference("127.0.0.1:5000", "a/b", "v2")),
        ("000000000000.dkr.ecr.us-east-1.amazonaws.com/web:3", Reference("000000000000.dkr.ecr.us-east-1.amazonaws.com", "web", "3")),
        ("r.io/x@sha256:" + "a" * 64, Reference("r.io", "x", None, "sha256:" + "a" * 64)),
    ],
)
def test_references_parse_as_docker_does(text, ref):
    assert parse_reference(text) == ref


@pytest.mark.parametrize("bad", ["", "UPPER/case", "a b", "x@sha256:short", "host:5000/"])
def test_bad_references_are_refused(bad):
    with pytest.raises(PullError):
        parse_reference(bad)


def _tar(entries: list[tuple[str, str | None]]) -> io.BytesIO:
    """(name, content) pairs; content None makes a directory."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, content in entries:
            info = tarfile.TarInfo(name)
            if content is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            else:
                data = content.encode()
                info.size = len(data)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    return buf


def test_whiteouts_become_overlay_whiteouts(tmp_path):
    dest = tmp_path / "layer"
    dest.mkdir()
    unpack_layer(_tar([("etc/", None), ("etc/.wh.gone", ""), ("var/", None), ("var/.wh..wh..opq", ""), ("var/new", "n")]), dest)
    st = os.lstat(dest / "etc/gone")
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(0, 0)
    assert os.getxattr(dest / "var", "trusted.overlay.opaque") == b"y"
    assert (dest / "var/new").read_text() == "n"
    assert not (dest / "var/.wh..wh..opq").exists()


def test_members_escaping_the_layer_are_not_written(tmp_path):
    dest = tmp_path / "layer"
    dest.mkdir()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        link = tarfile.TarInfo("evil")
        link.type = tarfile.SYMTYPE
        link.linkname = str(tmp_path)
        tar.addfile(link)
        data = b"pwned"
        info = tarfile.TarInfo("evil/outside.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    with pytest.raises(tarfile.TarError):
        unpack_layer(buf, dest)
    assert not (tmp_path / "outside.txt").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="overlay mounts need root")
def test_layers_stack_with_overlayfs(tmp_path: Path):
    low, high = tmp_path / "l1", tmp_path / "l2"
    low.mkdir()
    high.mkdir()
    unpack_layer(_tar([("a", "1"), ("b", "2"), ("d/", None), ("d/x", "x")]), low)
    unpack_layer(_tar([("a", "one"), (".wh.b", ""), ("d/", None), ("d/.wh..wh..opq", ""), ("d/y", "y")]), high)
    target = tmp_path / "root"
    images.mount_rootfs([low, high], tmp_path / "upper", tmp_path / "work", target)
    try:
        assert (target / "a").read_text() == "one"
        assert not (target / "b").exists()
        assert sorted(os.listdir(target / "d")) == ["y"]
        (target / "new").write_text("w")
        assert (tmp_path / "upper" / "new").read_text() == "w"
        assert not (low / "new").exists()
    finally:
        images.unmount(target)


# --- layers as GNU tar and containerd read them ---------------------------------------------


def _unterminated(content: bytes = b"hi\n", name: str = "f.txt") -> bytes:
    """What `umoci insert` writes: one header and the member's data, then nothing (no
    padding to 512 bytes, no end-of-archive blocks)."""
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mode = 0o644
    return info.tobuf(tarfile.PAX_FORMAT) + content


def test_a_layer_without_end_of_archive_blocks_unpacks(tmp_path):
    dest = tmp_path / "layer"
    dest.mkdir()
    unpack_layer(io.BytesIO(_unterminated()), dest)
    assert (dest / "f.txt").read_bytes() == b"hi\n"


def test_a_layer_with_padding_but_no_end_blocks_unpacks(tmp_path):
    dest = tmp_path / "layer"
    dest.mkdir()
    raw = _unterminated(b"x" * 700)
    raw += bytes(-len(raw) % 512)
    unpack_layer(io.BytesIO(raw), dest)
    assert (dest / "f.txt").read_bytes() == b"x" * 700


def test_a_member_cut_short_is_still_refused(tmp_path):
    dest = tmp_path / "layer"
    dest.mkdir()
    raw = _unterminated(b"y" * 2000)[:-100]
    with pytest.raises(tarfile.ReadError, match="unexpected end of data"):
        unpack_layer(io.BytesIO(raw), dest)


def test_bytes_after_the_end_blocks_are_ignored(tmp_path):
    dest = tmp_path / "layer"
    dest.mkdir()
    raw = _tar([("a", "1")]).getvalue() + b"trailing garbage " * 100
    unpack_layer(io.BytesIO(raw), dest)
    assert (dest / "a").read_text() == "1"


@pytest.mark.parametrize("fmt", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT])
def test_long_names_and_hard_links_unpack(tmp_path, fmt):
    dest = tmp_path / "layer"
    dest.mkdir()
    long_dir = "d/" + "x" * 120
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        d = tarfile.TarInfo(long_dir)
        d.type = tarfile.DIRTYPE
        d.mode = 0o755
        tar.addfile(d)
        data = b"payload"
        f = tarfile.TarInfo(long_dir + "/" + "f" * 110)
        f.size = len(data)
        tar.addfile(f, io.BytesIO(data))
        for linkname in (f.name, "/" + f.name, "./" + f.name):
            h = tarfile.TarInfo(f"link{len(linkname)}")
            h.type = tarfile.LNKTYPE
            h.linkname = linkname
            tar.addfile(h)
        members_end = tar.offset
    raw = buf.getvalue()[:members_end]  # and no end blocks either
    unpack_layer(io.BytesIO(raw), dest)
    target = dest / long_dir / ("f" * 110)
    assert target.read_bytes() == b"payload"
    links = sorted(dest.glob("link*"))
    assert len(links) == 3
    assert all(os.stat(p).st_ino == os.stat(target).st_ino for p in links)


def test_zstd_layers_unpack(tmp_path):
    zstandard = pytest.importorskip("zstandard")
    dest = tmp_path / "layer"
    dest.mkdir()
    blob = tmp_path / "layer.tar.zst"
    blob.write_bytes(zstandard.ZstdCompressor().compress(_tar([("z", "zstd")]).getvalue()))
    with open(blob, "rb") as raw:
        unpack_layer(images._decompress(raw, "application/vnd.oci.image.layer.v1.tar+zstd"), dest)
    assert (dest / "z").read_text() == "zstd"


def test_xattrs_in_pax_headers_are_applied(tmp_path):
    dest = tmp_path / "layer"
    dest.mkdir()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("bin/ping")
        info.size = 4
        info.mode = 0o755
        info.pax_headers = {"SCHILY.xattr.user.gureum": "cap"}
        tar.addfile(info, io.BytesIO(b"ping"))
    buf.seek(0)
    try:
        os.setxattr(dest, "user.probe", b"1")
    except OSError:
        pytest.skip("this file system keeps no user xattrs")
    unpack_layer(buf, dest)
    assert os.getxattr(dest / "bin/ping", "user.gureum") == b"cap"
