"""Files out of the database: a content-addressed blob store keyed by SHA-256.

The database keeps a file's hash, size and key; the bytes live in a store — a directory by default
(:class:`DirectoryBlobStore`), any S3-compatible object store in production (:class:`S3BlobStore`, boto3).
Putting the same bytes twice stores them once (the key is the hash). Every read verifies the hash: a file
changed or damaged in the store is refused (:class:`BlobIntegrityError`), never served.

``MEDIATION_BLOB_STORE``: ``dir:/path`` or ``s3://bucket/prefix`` (``MEDIATION_S3_ENDPOINT_URL`` for a store
other than AWS; credentials from the usual ``AWS_*`` variables or the instance's role).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


class BlobIntegrityError(RuntimeError):
    """The bytes read do not have the hash they were stored under."""


class BlobNotFound(LookupError):
    pass


@dataclass(frozen=True)
class BlobRef:
    key: str
    sha256: str
    size: int


def sha256_key(digest: str) -> str:
    return f"sha256/{digest[:2]}/{digest[2:4]}/{digest}"


class BlobStore(Protocol):
    def put(self, data: bytes) -> BlobRef:
        """Store ``data`` (idempotent) and return where it is."""
        ...

    def get(self, key: str, sha256: str) -> bytes:
        """The bytes under ``key``, verified against ``sha256``."""
        ...

    def exists(self, key: str) -> bool: ...


def _verified(data: bytes, sha256: str, key: str) -> bytes:
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise BlobIntegrityError(f"blob {key}: SHA-256 {actual} is not the recorded {sha256}")
    return data


@dataclass
class DirectoryBlobStore:
    """Files under ``root/sha256/ab/cd/<hash>``, written atomically (a temporary file renamed into place)."""

    root: Path

    def _path(self, key: str) -> Path:
        if ".." in key or key.startswith("/"):
            raise ValueError(f"bad blob key {key!r}")
        return self.root / key

    def put(self, data: bytes) -> BlobRef:
        digest = hashlib.sha256(data).hexdigest()
        key = sha256_key(digest)
        path = self._path(key)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return BlobRef(key, digest, len(data))

    def get(self, key: str, sha256: str) -> bytes:
        try:
            data = self._path(key).read_bytes()
        except FileNotFoundError:
            raise BlobNotFound(key) from None
        return _verified(data, sha256, key)

    def exists(self, key: str) -> bool:
        return self._path(key).exists()


@dataclass
class S3BlobStore:
    """Objects ``<prefix>/sha256/ab/cd/<hash>`` in ``bucket`` of any S3-compatible store."""

    bucket: str
    prefix: str = ""
    client: Any = field(default=None, repr=False)

    def _key(self, key: str) -> str:
        return f"{self.prefix.strip('/')}/{key}" if self.prefix.strip("/") else key

    def put(self, data: bytes) -> BlobRef:
        import base64

        digest = hashlib.sha256(data).hexdigest()
        key = sha256_key(digest)
        if not self.exists(key):
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data,
                                   ContentType="application/octet-stream",
                                   ChecksumSHA256=base64.b64encode(bytes.fromhex(digest)).decode())
        return BlobRef(key, digest, len(data))

    def get(self, key: str, sha256: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise BlobNotFound(key) from None
            raise
        return _verified(obj["Body"].read(), sha256, key)

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise


def store_from_spec(spec: str, *, endpoint_url: str | None = None) -> BlobStore:
    """``dir:/path`` → :class:`DirectoryBlobStore`; ``s3://bucket/prefix`` → :class:`S3BlobStore`."""
    if spec.startswith("dir:"):
        return DirectoryBlobStore(Path(spec[4:]))
    if spec.startswith("s3://"):
        import boto3

        bucket, _, prefix = spec[5:].partition("/")
        if not bucket:
            raise ValueError(f"MEDIATION_BLOB_STORE: no bucket in {spec!r}")
        return S3BlobStore(bucket, prefix, boto3.client("s3", endpoint_url=endpoint_url))
    raise ValueError(f"MEDIATION_BLOB_STORE must be dir:/path or s3://bucket/prefix, not {spec!r}")
