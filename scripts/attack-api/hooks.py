"""Schemathesis hooks for scripts/attack-api.sh (loaded through SCHEMATHESIS_HOOKS).

Attachment pieces (`application/offset+octet-stream`) go out as raw bytes as well.

`POST /v1/sync` takes `application/x-danvan-sync`, a binary frame (docs/sync-protocol.md):
send generated bodies as raw bytes, as schemathesis does for application/octet-stream. The
schema's example (the smallest valid request frame) is ASCII, so it goes out byte for byte.
"""

import schemathesis

schemathesis.serializer.alias("application/x-danvan-sync", "application/octet-stream")
# `PATCH /v1/attachments/{sha256}`: a piece of a file (tus), raw bytes too.
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
