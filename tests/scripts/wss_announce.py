#!/usr/bin/python3
"""One WebTorrent announce over wss:// with Python's own TLS (OpenSSL) and a
hand-made RFC 6455 handshake and frame, to check a node's native TLS.

Usage: wss_announce.py HOST PORT
Prints the tracker's reply (one JSON text frame). The certificate is not
verified (tests use a self-signed one); everything else is.
"""
import base64
import json
import os
import socket
import ssl
import struct
import sys


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection((host, port), timeout=10)
    tls = context.wrap_socket(raw, server_hostname=host)
    key = base64.b64encode(os.urandom(16)).decode()
    tls.sendall((f"GET /tracker/socket HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                 f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = tls.recv(1)
        if not chunk:
            raise SystemExit("connection closed during the handshake")
        head += chunk
    if b" 101 " not in head.split(b"\r\n")[0]:
        raise SystemExit(f"no upgrade: {head!r}")
    announce = json.dumps({
        "action": "announce", "info_hash": "\u00ab" * 20, "peer_id": "-PY0001-" + "x" * 12,
        "numwant": 0, "uploaded": 0, "downloaded": 0, "left": 0, "event": "started", "offers": [],
    }).encode()
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(announce))
    tls.sendall(struct.pack("!BB", 0x81, 0x80 | 126) + struct.pack("!H", len(announce)) + mask + masked
                if len(announce) >= 126 else struct.pack("!BB", 0x81, 0x80 | len(announce)) + mask + masked)

    def read_exact(n):
        data = b""
        while len(data) < n:
            chunk = tls.recv(n - len(data))
            if not chunk:
                raise SystemExit("connection closed while reading a frame")
            data += chunk
        return data

    first, second = read_exact(2)
    length = second & 0x7F
    if length == 126:
        length = struct.unpack("!H", read_exact(2))[0]
    elif length == 127:
        length = struct.unpack("!Q", read_exact(8))[0]
    payload = read_exact(length)
    if first & 0x0F != 1:
        raise SystemExit(f"expected a text frame, got opcode {first & 0x0F}")
    print(payload.decode())


if __name__ == "__main__":
    main()
