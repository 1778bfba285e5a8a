"""The libtorrent session every test script uses: loopback only, no DHT, LSD,
UPnP or NAT-PMP, several connections per IP (all test peers share 127.0.0.1),
and alerts for errors, status, peers and trackers."""
import libtorrent as lt


def loopback_session(**extra):
    settings = {
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "allow_multiple_connections_per_ip": True,
        "alert_mask": lt.alert.category_t.error_notification
        | lt.alert.category_t.status_notification
        | lt.alert.category_t.tracker_notification
        | lt.alert.category_t.peer_notification,
    }
    settings.update(extra)
    return lt.session(settings)
