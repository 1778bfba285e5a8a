"""Reads a .torrent with libtorrent's own parser and prints what it says, as JSON:
{"info_hash", "name", "web_seeds", "num_pieces", "total_size"}.

Usage: /usr/bin/python3 lt_torrent_info.py FILE
"""
import json
import sys

import libtorrent as lt


def main():
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    info = lt.torrent_info(lt.bdecode(data))
    print(json.dumps({
        "info_hash": str(info.info_hash()),
        "name": info.name(),
        "web_seeds": [seed["url"] for seed in info.web_seeds()],
        "num_pieces": info.num_pieces(),
        "total_size": info.total_size(),
    }))


if __name__ == "__main__":
    sys.exit(main())
