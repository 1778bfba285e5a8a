"""PeerTube 8.0.0's checks of what it receives, ported to Python for the fake
PeerTube (fake_peertube.py). Each function names the TypeScript it follows
(paths in PeerTube's repository, tag v8.0.0) and returns an error string, or
None when PeerTube would accept the document:

- server/core/helpers/custom-validators/activitypub/misc.ts (URLs, base activity)
- server/core/helpers/custom-validators/activitypub/activity.ts (per type)
- server/core/helpers/custom-validators/activitypub/videos.ts (Video objects)
- server/core/helpers/custom-validators/activitypub/video-comments.ts (Notes)
- server/core/helpers/custom-validators/activitypub/actor.ts (actors)

PeerTube runs here in test mode on 127.0.0.1, so URLs need no top-level domain.
"""
import datetime
import re
import urllib.parse

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
URL_MAX = 2000
AP_VIDEO_TYPES = {"video/mp4", "video/ogg", "video/webm", "audio/mp4"}
AP_TORRENT = "application/x-bittorrent"
AP_MAGNET = "application/x-bittorrent;x-scheme-handler/magnet"
VIDEO_STATES = set(range(1, 11))
COMMENTS_POLICIES = {1, 2, 3}
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
ACTOR_NAME_RE = re.compile(r"^[A-Za-z0-9\-_.:]+$")
ACTOR_TYPES = {"Person", "Application", "Group", "Service", "Organization"}


def is_int(value, minimum=None):
    """validator.isInt on `'' + value`."""
    if isinstance(value, bool) or value is None:
        return False
    text = str(value)
    if not re.fullmatch(r"[-+]?(0|[1-9][0-9]*)", text):
        return False
    return minimum is None or int(text) >= minimum


def is_url(url):
    """isActivityPubUrlValid: http(s), a host, at most 2000 characters."""
    if not isinstance(url, str) or len(url) > URL_MAX:
        return False
    parts = urllib.parse.urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def is_date(value):
    if not isinstance(value, str):
        return False
    try:
        datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True
    except ValueError:
        return False


def is_object(obj):
    return obj is not None and (is_url(obj) or (isinstance(obj, dict) and is_url(obj.get("id"))))


def is_url_collection(value):
    return value is None or (isinstance(value, str) and is_url(value)) or \
        (isinstance(value, list) and all(is_url(v) for v in value))


def base_activity(activity, kind):
    """isBaseActivityValid; None when valid."""
    if activity.get("type") != kind:
        return f"type is not {kind}"
    if not is_url(activity.get("id")):
        return "id is not a URL"
    if not is_object(activity.get("actor")):
        return "actor is not an object or URL"
    if not is_url_collection(activity.get("to")) or not is_url_collection(activity.get("cc")):
        return "to/cc are not URLs"
    return None


def root_activity(activity):
    """isRootActivityValid (the inbox answers 400 'Incorrect activity' otherwise)."""
    if not isinstance(activity, dict):
        return "not an object"
    if activity.get("type") in ("Collection", "OrderedCollection"):
        return None if is_int(activity.get("totalItems"), 0) and isinstance(activity.get("items"), list) \
            else "bad collection"
    actor = activity.get("actor")
    if is_url(activity.get("id")) and actor is not None and \
            (is_url(actor) or (isinstance(actor, dict) and is_url(actor.get("id")))):
        return None
    return "Incorrect activity"


def activity(act):
    """isActivityValid: None when PeerTube keeps the activity (it silently drops the others)."""
    kind = act.get("type")
    checks = {
        "Follow": lambda: base_activity(act, "Follow") or (None if is_object(act.get("object")) else "object"),
        "Accept": lambda: base_activity(act, "Accept"),
        "Reject": lambda: base_activity(act, "Reject"),
        "Like": lambda: base_activity(act, "Like") or (None if is_object(act.get("object")) else "object"),
        "Dislike": lambda: base_activity(act, "Dislike") or (None if is_object(act.get("object")) else "object"),
        "Announce": lambda: base_activity(act, "Announce") or (None if is_object(act.get("object")) else "object"),
        "Delete": lambda: base_activity(act, "Delete") or (None if is_object(act.get("object")) else "object"),
        "View": lambda: base_activity(act, "View") or
        (None if is_url(act.get("actor")) and is_url(act.get("object")) else "View actor/object must be URLs"),
        "Create": lambda: base_activity(act, "Create") or create_object(act.get("object")),
        "Update": lambda: base_activity(act, "Update") or update_object(act.get("object")),
        "Undo": lambda: base_activity(act, "Undo") or undo_object(act.get("object")),
        "ApproveReply": lambda: base_activity(act, "ApproveReply") or
        (None if is_url(act.get("object")) and is_url(act.get("inReplyTo")) else "object/inReplyTo"),
        "RejectReply": lambda: base_activity(act, "RejectReply") or
        (None if is_url(act.get("object")) and is_url(act.get("inReplyTo")) else "object/inReplyTo"),
        "Flag": lambda: base_activity(act, "Flag"),
    }
    if kind not in checks:
        return f"unknown activity type {kind}"
    return checks[kind]()


def create_object(obj):
    if not isinstance(obj, dict):
        return "Create object is not embedded"
    if obj.get("type") == "Note" or obj.get("type") == "Tombstone":
        return note(obj)
    if obj.get("type") == "Video":
        return video(obj)
    if obj.get("type") == "CacheFile":
        return cache_file(obj)
    if obj.get("type") in ("View", "Dislike", "Flag", "Playlist", "WatchAction"):
        return None
    return f"Create of {obj.get('type')}"


def update_object(obj):
    if not isinstance(obj, dict):
        return "Update object is not embedded"
    if obj.get("type") == "Video":
        return video(obj)
    if obj.get("type") in ACTOR_TYPES:
        return actor(obj)
    if obj.get("type") == "CacheFile":
        return cache_file(obj)
    if obj.get("type") in ("Playlist", "PlayerSettings"):
        return None
    return f"Update of {obj.get('type')}"


def undo_object(obj):
    if not isinstance(obj, dict):
        return "Undo object is not embedded"
    kind = obj.get("type")
    if kind in ("Follow", "Like", "Dislike", "Announce", "Create"):
        return activity(obj)
    return f"Undo of {kind}"


def has_public(collection):
    """hasAPPublic as PeerTube 8.0.0 writes it: `some(f => f === 'as:Public' || publicValue)`,
    true for any non-empty to/cc (the second operand is always truthy)."""
    items = collection if isinstance(collection, list) else ([collection] if collection else [])
    return len(items) > 0


def note(obj):
    """sanitizeAndCheckVideoCommentObject."""
    if not isinstance(obj, dict):
        return "not an object"
    if obj.get("type") == "Tombstone" and obj.get("formerType") == "Note":
        url = obj.get("url") if isinstance(obj.get("url"), str) else obj.get("id")
        ok = is_url(obj.get("id")) and is_date(obj.get("published")) and is_date(obj.get("deleted")) and is_url(url)
        return None if ok else "Tombstone id/published/deleted/url"
    if obj.get("type") != "Note":
        return f"type {obj.get('type')} is not Note"
    url = obj.get("url")
    if not isinstance(url, str):
        url = (url.get("href") or url.get("url")) if isinstance(url, dict) else obj.get("id")
    for field, ok in (
        ("id", is_url(obj.get("id"))),
        ("content", obj.get("content") is not None and len(str(obj.get("content"))) >= 1),
        ("inReplyTo", is_url(obj.get("inReplyTo"))),
        ("published", is_date(obj.get("published"))),
        ("url", is_url(url)),
        ("replyApproval", obj.get("replyApproval") is None or is_url(obj.get("replyApproval"))),
        ("to/cc (public or unlisted)", has_public(obj.get("to")) or has_public(obj.get("cc"))),
    ):
        if not ok:
            return f"Note field {field}"
    return None


def _video_url(u):
    if not isinstance(u, dict) or u.get("type") != "Link":
        return isinstance(u, dict) and isinstance(u.get("rel"), list) and "tracker" in u["rel"] and is_url(u.get("href"))
    media = u.get("mediaType") or u.get("mimeType")
    if media in AP_VIDEO_TYPES:
        return is_url(u.get("href")) and is_int(u.get("height"), 0) and is_int(u.get("size"), 0) and \
            (not u.get("fps") or is_int(u.get("fps"), -1))
    if media == AP_TORRENT:
        return is_url(u.get("href")) and is_int(u.get("height"), 0)
    if media == AP_MAGNET:
        return isinstance(u.get("href"), str) and len(u["href"]) >= 5 and is_int(u.get("height"), 0)
    if media == "application/x-mpegURL":
        return is_url(u.get("href")) and isinstance(u.get("tag"), list)
    if isinstance(u.get("rel"), list) and "tracker" in u["rel"]:
        return is_url(u.get("href"))
    return media == "application/json" and isinstance(u.get("rel"), list) and "metadata" in u["rel"]


def cache_file(obj):
    """isCacheFileObjectValid (custom-validators/activitypub/cache-file.ts): expires a date
    when set, object a URL, url a video-file Link (isRemoteVideoUrlValid) or an HLS
    playlist Link (isPlaylistRedundancyUrlValid)."""
    if not isinstance(obj, dict) or obj.get("type") != "CacheFile":
        return "type is not CacheFile"
    if obj.get("expires") and not is_date(obj["expires"]):
        return "expires is not a date"
    if not is_url(obj.get("object")):
        return "object is not a URL"
    url = obj.get("url")
    if not isinstance(url, dict):
        return "url is not a Link"
    playlist = url.get("type") == "Link" and (url.get("mediaType") or url.get("mimeType")) == "application/x-mpegURL" \
        and is_url(url.get("href"))
    if not playlist and not (url.get("type") == "Link" and _video_url(url)):
        return "url is neither a video file nor an HLS playlist Link"
    return None


def video(obj):
    """sanitizeAndCheckVideoTorrentObject: the first field PeerTube refuses, or None."""
    if not isinstance(obj, dict) or obj.get("type") != "Video":
        return "type is not Video"
    if not isinstance(obj.get("url"), list):
        return "urls"
    icons = obj.get("icon")
    icons = icons if isinstance(icons, list) else ([icons] if icons else [])
    icons = [i for i in icons if isinstance(i, dict) and i.get("type") == "Image" and is_url(i.get("url"))
             and i.get("mediaType") == "image/jpeg" and is_int(i.get("width"), 0) and is_int(i.get("height"), 0)]
    if not icons:
        return "icons (an Image, image/jpeg, with url, width and height)"
    subtitles = obj.get("subtitleLanguage") or []
    if not isinstance(subtitles, list):
        return "captions"
    preview = obj.get("preview")
    if preview is not None and not isinstance(preview, list):
        return "preview (storyboard)"
    licence = obj.get("licence")
    if licence is not None and is_int((licence or {}).get("identifier")) and not is_int(licence["identifier"], 0):
        return "licence"
    attributed = obj.get("attributedTo")
    attributed = [a for a in attributed if is_url(a) or (isinstance(a, dict) and a.get("type") in ("Group", "Person")
                                                        and is_url(a.get("id")))] if isinstance(attributed, list) else []
    if not is_url(obj.get("id")):
        return "id"
    name = obj.get("name")
    if not isinstance(name, str) or not 3 <= len(name) <= 120:
        return "name"
    duration = obj.get("duration")
    if not isinstance(duration, str) or not duration.startswith("PT") or not duration.endswith("S"):
        return "duration format"
    if not is_int(re.sub(r"[^0-9]+", "", duration), 0):
        return "duration"
    if not isinstance(obj.get("uuid"), str) or not UUID_RE.match(obj["uuid"]):
        return "uuid"
    if obj.get("category") is not None and not is_int((obj["category"] or {}).get("identifier"), 0):
        return "category"
    if obj.get("language") is not None and not isinstance((obj["language"] or {}).get("identifier"), str):
        return "language"
    if not is_int(obj.get("views"), 0):
        return "views"
    if not is_date(obj.get("published")):
        return "published"
    if not is_date(obj.get("updated")):
        return "updated"
    if obj.get("originallyPublishedAt") is not None and not is_date(obj["originallyPublishedAt"]):
        return "originallyPublishedAt"
    if obj.get("uploadDate") is not None and not is_date(obj["uploadDate"]):
        return "uploadDate"
    content = obj.get("content")
    if content is not None and (obj.get("mediaType") not in ("text/markdown", "text/html")
                                or not 3 <= len(str(content)) <= 10000):
        return "mediaType/content"
    if not attributed:
        return "attributedTo"
    return None


def playable_urls(obj):
    """The `url` entries PeerTube keeps (setValidRemoteVideoUrls); with none it stores a
    video it cannot play."""
    return [u for u in obj.get("url") or [] if _video_url(u)] if isinstance(obj, dict) else []


def comments_policy(obj):
    """The policy PeerTube stores: commentsPolicy if valid, else 2 (DISABLED)."""
    value = obj.get("commentsPolicy")
    return value if value in COMMENTS_POLICIES else 2


def torrent_urls(obj):
    """The `.torrent` URL PeerTube keeps for each playable file: the `xs` of the magnet
    link of the same height (getTorrentRelatedInfo in object-to-model-attributes.ts);
    None where the magnet has no `xs`."""
    from urllib.parse import parse_qs, urlsplit
    urls = [u for u in obj.get("url") or [] if isinstance(u, dict)]
    out = []
    files = [u for u in playable_urls(obj) if str(u.get("mediaType")).startswith(("video/", "audio/"))]
    for f in files:
        magnet = next((u for u in urls if u.get("mediaType") == AP_MAGNET and u.get("height") == f.get("height")), None)
        xs = parse_qs(urlsplit(magnet["href"]).query).get("xs") if magnet else None
        out.append(xs[0] if xs else None)
    return out


def actor(obj):
    """sanitizeAndCheckActorObject: the failing field, or None."""
    if not isinstance(obj, dict) or obj.get("type") not in ACTOR_TYPES:
        return "type"
    key = obj.get("publicKey") or {}
    pem = key.get("publicKeyPem") if isinstance(key, dict) else None
    endpoints = obj.get("endpoints") or {}
    for field, ok in (
        ("id", is_url(obj.get("id"))),
        ("inbox", is_url(obj.get("inbox"))),
        ("preferredUsername", isinstance(obj.get("preferredUsername"), str) and
         bool(ACTOR_NAME_RE.match(obj["preferredUsername"]))),
        ("publicKey", isinstance(key, dict) and is_url(key.get("id")) and is_url(key.get("owner")) and
         isinstance(pem, str) and pem.startswith("-----BEGIN PUBLIC KEY-----") and "-----END PUBLIC KEY-----" in pem),
        ("endpoints.sharedInbox", not endpoints.get("sharedInbox") or is_url(endpoints["sharedInbox"])),
        ("outbox", not obj.get("outbox") or is_url(obj["outbox"])),
        ("following", not obj.get("following") or is_url(obj["following"])),
        ("followers", not obj.get("followers") or is_url(obj["followers"])),
        ("attributedTo (a Group must be attributed to an account)",
         obj.get("type") != "Group" or bool(obj.get("attributedTo"))),
    ):
        if not ok:
            return field
    return None
