"""`POST /api/v1/namespaces/NS/pods/NAME/portforward`: SPDY/3.1 streams, as the kubelet's.

Real kubectl 1.36 first asks for a WebSocket carrying SPDY
(`Sec-WebSocket-Protocol: SPDY/3.1+portforward.k8s.io`); when the upgrade is
refused it falls back to a plain `Upgrade: SPDY/3.1` with
`X-Stream-Protocol-Version: portforward.k8s.io`
(k8s.io/client-go/tools/portforward/fallback_dialer.go and
k8s.io/kubectl/pkg/cmd/portforward/portforward.go, createDialer). This server
answers the WebSocket request 400, as a server without the
PortForwardWebsockets feature, and serves the SPDY one.

SPDY/3.1 framing (draft-mbelshe-httpbis-spdy-00; moby/spdystream is the
peer): 8-byte frame headers, SYN_STREAM/SYN_REPLY header blocks compressed
with one zlib stream per direction seeded with the SPDY/3 dictionary, DATA
frames with FLAG_FIN to half-close. The portforward.k8s.io protocol
(k8s.io/kubelet/pkg/cri/streaming/portforward/httpstream.go): per forwarded
connection the client opens an `error` stream and a `data` stream, both with
headers `port` and `requestID`; the server replies to both, copies bytes on
the data stream and writes any error on the error stream.

The connection closes when the pod stops running or is replaced. No
container runs: the "pod" answers each forwarded HTTP request with a small
HTML page naming the namespace, pod, port and path.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import zlib
from collections.abc import Callable
from typing import Any

PROTOCOL = "portforward.k8s.io"

SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE = (
    1,
    2,
    3,
    4,
    6,
    7,
    8,
    9,
)
FLAG_FIN = 0x01
VERSION = 3

# The SPDY/3 header dictionary (draft-mbelshe-httpbis-spdy-00 section 2.6.10.1;
# moby/spdystream spdy/dictionary.go): length-prefixed words (_ for a space), then a tail.
_WORDS = (
    "options head post put delete trace accept accept-charset accept-encoding "
    "accept-language accept-ranges age allow authorization cache-control connection "
    "content-base content-encoding content-language content-length content-location "
    "content-md5 content-range content-type date etag expect expires from host if-match "
    "if-modified-since if-none-match if-range if-unmodified-since last-modified location "
    "max-forwards pragma proxy-authenticate proxy-authorization range referer retry-after "
    "server te trailer transfer-encoding upgrade user-agent vary via warning "
    "www-authenticate method get status 200_OK version HTTP/1.1 url public set-cookie "
    "keep-alive origin"
)
_TAIL = (
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417"
    "502504505203 Non-Authoritative Information204 No Content301 Moved Permanently"
    "400 Bad Request401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error"
    "501 Not Implemented503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct "
    "Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,"
    "image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,"
    "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8"
    "charset=iso-8859-1,utf-,*,enq=0."
)


def _dictionary() -> bytes:
    words = [w.replace("_", " ") for w in _WORDS.split(" ")]
    return b"".join(struct.pack(">I", len(w)) + w.encode() for w in words) + _TAIL.encode()


DICTIONARY = _dictionary()


def encode_headers(headers: dict[str, str]) -> bytes:
    block = struct.pack(">I", len(headers))
    for name, value in headers.items():
        block += struct.pack(">I", len(name)) + name.encode()
        block += struct.pack(">I", len(value)) + value.encode()
    return block


def decode_headers(block: bytes) -> dict[str, str]:
    (count,) = struct.unpack_from(">I", block)
    offset, headers = 4, {}
    for _ in range(count):
        (size,) = struct.unpack_from(">I", block, offset)
        name = block[offset + 4 : offset + 4 + size].decode()
        offset += 4 + size
        (size,) = struct.unpack_from(">I", block, offset)
        headers[name.lower()] = block[offset + 4 : offset + 4 + size].decode()
        offset += 4 + size
    return headers


class Session:
    """One SPDY connection from kubectl: many forwarded connections, two streams each."""

    def __init__(
        self, sock: socket.socket, reader: Any, label: str, alive: Callable[[], bool]
    ) -> None:
        self.sock = sock
        self.alive = alive
        self.reader = reader  # the HTTP server's buffered reader: it may hold early frames
        self.label = label
        self.inflate = zlib.decompressobj(zdict=DICTIONARY)
        self.deflate = zlib.compressobj(9, zdict=DICTIONARY)
        self.write_lock = threading.RLock()
        self.streams: dict[int, dict[str, str]] = {}
        self.received: dict[int, bytes] = {}
        self.answered: set[int] = set()

    # -- frames ------------------------------------------------------------
    def _read(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.reader.read(size - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def _send(self, frame: bytes) -> None:
        with self.write_lock:
            self.sock.sendall(frame)

    def _control(self, kind: int, flags: int, payload: bytes) -> None:
        head = struct.pack(">HHI", 0x8000 | VERSION, kind, (flags << 24) | len(payload))
        self._send(head + payload)

    def _data(self, stream: int, data: bytes, flags: int = 0) -> None:
        self._send(struct.pack(">II", stream & 0x7FFFFFFF, (flags << 24) | len(data)) + data)

    def _reply(self, stream: int) -> None:
        # Header blocks share one zlib stream: compress and send in one go.
        with self.write_lock:
            block = self.deflate.compress(encode_headers({})) + self.deflate.flush(
                zlib.Z_SYNC_FLUSH
            )
            self._control(SYN_REPLY, 0, struct.pack(">I", stream) + block)

    # -- the loop ----------------------------------------------------------
    def _watch_pod(self, done: threading.Event) -> None:
        """Close the connection when the pod goes away, as the kubelet's streams end
        (kubectl then exits "lost connection to pod")."""
        while not done.wait(1.0):
            if not self.alive():
                with contextlib.suppress(OSError):
                    self.sock.shutdown(socket.SHUT_RDWR)
                return

    def serve(self) -> None:
        done = threading.Event()
        threading.Thread(target=self._watch_pod, args=(done,), daemon=True).start()
        try:
            while True:
                first, second = struct.unpack(">II", self._read(8))
                flags, length = second >> 24, second & 0xFFFFFF
                payload = self._read(length)
                if first & 0x80000000:
                    self._on_control(first & 0xFFFF, flags, payload)
                else:
                    self._on_data(first & 0x7FFFFFFF, flags, payload)
        except (EOFError, OSError):
            pass
        finally:
            done.set()

    def _on_control(self, kind: int, flags: int, payload: bytes) -> None:
        if kind == SYN_STREAM:
            stream = struct.unpack_from(">I", payload)[0] & 0x7FFFFFFF
            headers = decode_headers(self.inflate.decompress(payload[10:]))
            self.streams[stream] = headers
            self.received[stream] = b""
            self._reply(stream)
            if headers.get("streamtype") == "error":
                # Nothing went wrong on this side: an empty, closed error stream.
                self._data(stream, b"", FLAG_FIN)
        elif kind == PING:
            self._control(PING, 0, payload)
        elif kind == HEADERS:
            self.inflate.decompress(payload[4:])
        elif kind == RST_STREAM:
            stream = struct.unpack_from(">I", payload)[0] & 0x7FFFFFFF
            self.streams.pop(stream, None)
            self.received.pop(stream, None)
        elif kind == GOAWAY:
            raise EOFError
        # SETTINGS and WINDOW_UPDATE: nothing to do (no flow control here).

    def _on_data(self, stream: int, flags: int, data: bytes) -> None:
        headers = self.streams.get(stream)
        if headers is None or headers.get("streamtype") != "data":
            return
        self.received[stream] = self.received.get(stream, b"") + data
        request = self.received[stream]
        if stream not in self.answered and (b"\r\n\r\n" in request or flags & FLAG_FIN):
            self.answered.add(stream)
            self._data(stream, page(self.label, headers.get("port", "?"), request), FLAG_FIN)


def page(label: str, port: str, request: bytes) -> bytes:
    """The stand-in pod's answer: a small HTML page naming where it came from."""
    line = request.split(b"\r\n", 1)[0].decode(errors="replace").split(" ")
    path = line[1] if len(line) >= 2 else "/"
    body = f"<!doctype html><title>hpo-rig stand-in</title><p>{label}:{port} {path}</p>\n"
    return (
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
        f"Content-Length: {len(body.encode())}\r\nConnection: close\r\n\r\n{body}"
    ).encode()
