#!/usr/bin/python3
"""Two libtorrent sessions exchange a file through an HTTP tracker.

Usage: lt_swarm.py ANNOUNCE_URL WORK_DIR v1|hybrid TIMEOUT_SECS

Makes a random 3 MiB file, a torrent for it (v1-only or libtorrent 2's default
hybrid v1+v2) announcing only ANNOUNCE_URL and with no web seed, a seeding
session and a leeching session on 127.0.0.1 (DHT, LSD, UPnP, NAT-PMP off;
several connections per IP allowed since both share 127.0.0.1). The leecher can
only find the seeder through the tracker. Once it seeds, the leecher scrapes the
tracker. Prints one JSON object; exits 0 only if the leecher completed with every
piece verified from the seeder. It also reads Shoal's /tracker/scrape while
both sessions are still in the swarm, for the caller to compare.
Run with Debian's /usr/bin/python3, which has the libtorrent binding.
"""
import json
import os
import sys
import time
import urllib.parse
import urllib.request

import libtorrent as lt

from lt_common import loopback_session


def session():
    # The tracker is on loopback under /tracker/announce, which libtorrent's
    # SSRF mitigation refuses by default (it allows only /announce there).
    return loopback_session(ssrf_mitigation=False, announce_to_all_trackers=True)


def make_torrent(path, announce, mode):
    fs = lt.file_storage()
    lt.add_files(fs, path)
    flags = lt.create_torrent.v1_only if mode == "v1" else 0
    ct = lt.create_torrent(fs, 64 * 1024, flags=flags)
    ct.add_tracker(announce)
    lt.set_piece_hashes(ct, os.path.dirname(path))
    return lt.torrent_info(lt.bencode(ct.generate()))


def main():
    announce, work, mode, timeout = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    seed_dir, leech_dir = os.path.join(work, "seed"), os.path.join(work, "leech")
    os.makedirs(seed_dir, exist_ok=True)
    os.makedirs(leech_dir, exist_ok=True)
    data_path = os.path.join(seed_dir, "payload.bin")
    payload = os.urandom(3 * 1024 * 1024)
    with open(data_path, "wb") as f:
        f.write(payload)
    info = make_torrent(data_path, announce, mode)
    hashes = info.info_hashes()
    v1 = str(hashes.v1) if hashes.has_v1() else None
    v2 = str(hashes.v2)[:40] if hashes.has_v2() else None

    seeder, leecher = session(), session()
    handles = []
    for ses, save in ((seeder, seed_dir), (leecher, leech_dir)):
        params = lt.add_torrent_params()
        params.ti = lt.torrent_info(info)
        params.save_path = save
        handles.append(ses.add_torrent(params))
    seed_handle, leech_handle = handles

    events, hash_failures, scrape = [], 0, None
    deadline = time.time() + timeout

    def drain():
        nonlocal hash_failures, scrape
        for ses in (seeder, leecher):
            for alert in ses.pop_alerts():
                kind = type(alert).__name__
                if kind == "hash_failed_alert":
                    hash_failures += 1
                if kind == "scrape_reply_alert" and ses is leecher:
                    scrape = {"complete": alert.complete, "incomplete": alert.incomplete}
                if kind in ("tracker_error_alert", "tracker_warning_alert", "scrape_failed_alert",
                            "hash_failed_alert", "torrent_error_alert", "peer_error_alert"):
                    events.append(f"{kind}: {alert.message()}")

    while time.time() < deadline:
        drain()
        if leech_handle.status().is_seeding:
            break
        time.sleep(0.1)
    status = leech_handle.status()
    # Both now seed; announce completion, then scrape.
    leech_handle.force_reannounce()
    time.sleep(1.0)
    leech_handle.scrape_tracker()
    while time.time() < deadline and scrape is None:
        drain()
        time.sleep(0.1)
    drain()
    # Shoal's own scrape of every announced hash, while both sessions are still in.
    shoal_scrape = {}
    base = announce.rsplit("/announce", 1)[0]
    for h in (v1, v2):
        if h is None:
            continue
        query = urllib.parse.urlencode({"info_hash": bytes.fromhex(h)})
        with urllib.request.urlopen(f"{base}/scrape?{query}", timeout=10) as reply:
            files = lt.bdecode(reply.read()).get(b"files", {})
        entry = files.get(bytes.fromhex(h), {})
        shoal_scrape[h] = [entry.get(b"complete", -1), entry.get(b"incomplete", -1)]

    saved = b""
    saved_path = os.path.join(leech_dir, "payload.bin")
    if os.path.exists(saved_path):
        with open(saved_path, "rb") as f:
            saved = f.read()
    ok = status.is_seeding and saved == payload and hash_failures == 0
    print(json.dumps({
        "ok": ok,
        "mode": mode,
        "v1": v1,
        "v2_truncated": v2,
        "is_seeding": status.is_seeding,
        "downloaded_payload": status.total_payload_download,
        "hash_failures": hash_failures,
        "scrape": scrape,
        "shoal_scrape": shoal_scrape,
        "events": events[-20:],
    }))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
