"""The image pull client's pure parts: Docker's reference grammar and layer unpacking into
overlayfs form (whiteouts, opaque directories), then an overlay mount showing the result."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import shutil
import stat
import tarfile
from pathlib import Path

import pytest

from gureum.blobs import BlobStore
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


OCI_MANIFEST = images.MANIFEST_TYPES[2]


def _stored(blobs: BlobStore, data: bytes) -> str:
    w = blobs.writer()
    w.write(data)
    return w.commit()


def test_an_image_found_again_in_process_comes_from_memory_while_its_layers_stay(tmp_path: Path) -> None:
    """A pull that starts from a manifest found in-process (gureum's own registry) reads it on
    a pull thread once; a later pull finding the same digest takes the image from memory, with
    the reference it asked for, until one of its unpacked layers is gone."""
    blobs = BlobStore(tmp_path / "blobs")
    layer = _tar([("bin", None), ("bin/hello", "hi\n")]).getvalue()
    config = json.dumps({"architecture": "amd64", "config": {"Cmd": ["/bin/hello"], "Env": ["A=1"]}}).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": _stored(blobs, config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": _stored(blobs, layer), "size": len(layer)}],
    }).encode()  # fmt: skip
    digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
    reads: list[str] = []

    def read() -> tuple[bytes, str]:
        reads.append(digest)
        return manifest, OCI_MANIFEST

    cache = images.ImageCache(tmp_path / "images", blobs)

    async def pulls() -> list[images.Image]:
        first = await cache.pull("127.0.0.1:1/app:v1", found=(digest, read))
        again = await cache.pull("127.0.0.1:1/app@" + digest, found=(digest, read))
        return [first, again]

    try:
        first, again = asyncio.run(pulls())
        assert reads == [digest]  # the second pull read no manifest
        assert (first.manifest_digest, first.config["Cmd"], (first.layers[0] / "bin/hello").read_text()) == (digest, ["/bin/hello"], "hi\n")
        assert again.reference == "127.0.0.1:1/app@" + digest and first.reference == "127.0.0.1:1/app:v1"
        assert (again.manifest_digest, again.layers) == (first.manifest_digest, first.layers)
        shutil.rmtree(first.layers[0])  # a layer gone: the next pull unpacks it again
        assert cache.pulled("127.0.0.1:1/app:v1", digest) is None
        third = asyncio.run(cache.pull("127.0.0.1:1/app:v1", found=(digest, read)))
        assert reads == [digest, digest] and (third.layers[0] / "bin/hello").read_text() == "hi\n"
    finally:
        cache.close()
