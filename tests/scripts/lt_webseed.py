#!/usr/bin/python3
"""Download a torrent from its BEP 19 web seed alone with libtorrent.

Usage: lt_webseed.py TORRENT SAVE_DIR TIMEOUT_SECS

A loopback-only session (DHT, LSD, UPnP and NAT-PMP off) adds the torrent
with no peers, waits until it seeds, then re-checks every piece from disk.
Prints one JSON object; exits 0 only if all pieces were verified.
Run with Debian's /usr/bin/python3, which has the libtorrent binding.
"""
import json
import sys
import time

import libtorrent as lt

from lt_common import loopback_session


def main():
    torrent_path, save_dir, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
    session = loopback_session()
    info = lt.torrent_info(torrent_path)
    params = lt.add_torrent_params()
    params.ti = info
    params.save_path = save_dir
    handle = session.add_torrent(params)

    events = []
    hash_failures = 0

    def drain_alerts():
        nonlocal hash_failures
        for alert in session.pop_alerts():
            kind = type(alert).__name__
            if kind == "hash_failed_alert":
                hash_failures += 1
            if kind in ("url_seed_alert", "hash_failed_alert", "torrent_error_alert",
                        "file_error_alert", "torrent_finished_alert"):
                events.append(f"{kind}: {alert.message()}")

    deadline = time.time() + timeout
    status = handle.status()
    while time.time() < deadline:
        drain_alerts()
        status = handle.status()
        if status.is_seeding:
            break
        time.sleep(0.1)
    downloaded = status.is_seeding
    downloaded_bytes = status.total_download

    # Verify again from disk: every piece must hash right.
    rechecked = False
    if downloaded:
        handle.force_recheck()
        while time.time() < deadline:
            drain_alerts()
            status = handle.status()
            if status.state not in (lt.torrent_status.checking_files,
                                    lt.torrent_status.checking_resume_data) and status.is_seeding:
                rechecked = True
                break
            time.sleep(0.1)
    drain_alerts()
    status = handle.status()

    result = {
        "ok": downloaded and rechecked and status.num_pieces == info.num_pieces() and hash_failures == 0,
        "is_seeding": status.is_seeding,
        "num_pieces": status.num_pieces,
        "total_pieces": info.num_pieces(),
        "total_size": info.total_size(),
        "name": info.name(),
        "info_hash": str(info.info_hash()),
        "web_seeds": [ws["url"] for ws in info.web_seeds()],
        "hash_failures": hash_failures,
        "downloaded_bytes": downloaded_bytes,
        "events": events[-20:],
        "libtorrent": lt.__version__,
    }
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
