"""What PeerTube 8.0.0 serves and sends, as the fake PeerTube (fake_peertube.py)
builds it: actors, Video and Note objects, collections and activities.

Documents are the ones a real PeerTube 8.0.0 served here (fixtures/peertube-8.0.0/,
captured with `Accept: application/activity+json` from the server that
../shared/peertube/ runs), with the host, keys, ids and dates replaced.
Activities follow PeerTube's senders (server/core/lib/activitypub/send/*.ts),
URLs server/core/lib/activitypub/url.ts, audiences
server/core/lib/activitypub/audience.ts and send/shared/audience-utils.ts, and
@context server/core/helpers/activity-pub-utils.ts (`contextStore`).
"""
import copy
import json
import os
import re
import time
import uuid

import fed_common as fc

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "peertube-8.0.0")
# The uuid and short uuid of the video the fixtures were captured from.
FIXTURE_UUID = "b30a8651-e841-4a2b-bb09-db547528f751"
FIXTURE_SHORT = "o7iSkXCk9FbMBvfq1Lu9QR"
FIXTURE_NAME = "smoke 1796278576"
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
BASE58 = "123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
# Test mode pages collections 2 items at a time (ACTIVITY_PUB.COLLECTION_ITEMS_PER_PAGE).
PAGE_SIZE = 2
USER_AGENT = "PeerTube/8.0.0 (+{base})"
# PeerTube signs POSTs over these, rsa-sha256 (HTTP_SIGNATURE in initializers/constants.ts).
SIGNED_POST_HEADERS = ["(request-target)", "host", "date", "digest"]
SIGNED_GET_HEADERS = ["(request-target)", "host", "date"]
FETCH_ACCEPT = "application/activity+json, application/ld+json"

_BASE_CONTEXT = [fc.AS_CONTEXT, "https://w3id.org/security/v1",
                 {"RsaSignature2017": "https://w3id.org/security#RsaSignature2017"}]


def _ctx(extra=None):
    if not extra:
        return copy.deepcopy(_BASE_CONTEXT)
    return copy.deepcopy(_BASE_CONTEXT) + [{"pt": "https://joinpeertube.org/ns#", "sc": "http://schema.org/", **extra}]


def fixture(name, base, host):
    with open(os.path.join(FIXTURES, name)) as f:
        text = f.read()
    return json.loads(text.replace("{base}", base).replace("{host}", host))


# contextStore of activity-pub-utils.ts, for the context types the fake sends.
CONTEXTS = {
    "Follow": _ctx(), "Accept": _ctx(), "Reject": _ctx(), "Announce": _ctx(), "Delete": _ctx(), "Rate": _ctx(),
    "Collection": _ctx(),
    "Comment": _ctx({"replyApproval": "pt:replyApproval"}),
    "ApproveReply": _ctx({"ApproveReply": "pt:ApproveReply"}),
    "RejectReply": _ctx({"RejectReply": "pt:RejectReply"}),
    "PlayerSettings": _ctx({"PlayerSettings": {"@type": "@id", "@id": "pt:PlayerSettings"}, "theme": "pt:theme"}),
    "Chapters": _ctx({"hasPart": "sc:hasPart", "endOffset": "sc:endOffset", "startOffset": "sc:startOffset"}),
    "CacheFile": _ctx({"expires": "sc:expires", "CacheFile": "pt:CacheFile",
                       "size": {"@type": "sc:Number", "@id": "pt:size"}, "fps": {"@type": "sc:Number", "@id": "pt:fps"}}),
    "View": _ctx({"WatchAction": "sc:WatchAction", "InteractionCounter": "sc:InteractionCounter",
                  "interactionType": "sc:interactionType", "userInteractionCount": "sc:userInteractionCount"}),
}


def contextify(activity, context_type, video_context):
    ctx = video_context if context_type == "Video" else CONTEXTS[context_type]
    return {"@context": copy.deepcopy(ctx), **activity}


def now_iso():
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"


def short_uuid(uuid_str):
    """PeerTube's short uuid: the uuid's 128 bits in flickr base58."""
    n, out = int(uuid_str.replace("-", ""), 16), ""
    while n:
        n, r = divmod(n, 58)
        out = BASE58[r] + out
    return out


class PtActor:
    """A local actor: instance `Application` /accounts/peertube, account `Person`
    /accounts/NAME, channel `Group` /video-channels/NAME."""

    def __init__(self, base, host, kind, name, bits, display=None, owner=None):
        self.base, self.host, self.type, self.name = base, host, kind, name
        self.path = f"video-channels/{name}" if kind == "Group" else f"accounts/{name}"
        self.id = f"{base}/{self.path}"
        self.key_id = f"{self.id}#main-key"
        self.inbox = f"{self.id}/inbox"
        self.followers = f"{self.id}/followers"
        self.display = display or name
        self.owner = owner
        self.keys = fc.Keypair(bits)
        self.published = now_iso()

    def document(self):
        template = {"Application": "actor_application.json", "Person": "actor_person.json",
                    "Group": "actor_group.json"}[self.type]
        doc = fixture(template, self.base, self.host)
        old = doc["id"]
        doc = json.loads(json.dumps(doc).replace(old, self.id))
        doc["preferredUsername"], doc["name"], doc["published"] = self.name, self.display, self.published
        doc["publicKey"]["publicKeyPem"] = self.keys.public_pem
        if self.type == "Group":
            doc["url"] = [{"type": "Link", "mediaType": "text/html", "href": f"{self.base}/c/{self.name}/videos"},
                          {"type": "Link", "mediaType": "text/html", "href": f"{self.base}/c/{self.name}"},
                          {"type": "Link", "mediaType": "text/html", "href": self.id}]
            doc["attributedTo"] = [self.owner.id]
        else:
            doc["url"] = [{"type": "Link", "mediaType": "text/html", "href": f"{self.base}/a/{self.name}/video-channels"},
                          {"type": "Link", "mediaType": "text/html", "href": f"{self.base}/a/{self.name}"},
                          {"type": "Link", "mediaType": "text/html", "href": self.id}]
        return doc


def video_object(base, host, video):
    """The Video JSON of a local video (`video`: uuid, name, published, updated, views),
    from the captured one: same files, tags and links, this video's ids."""
    template = json.dumps(fixture("video.json", base, host))
    text = template.replace(FIXTURE_UUID, video["uuid"]).replace(FIXTURE_SHORT, short_uuid(video["uuid"]))
    # File, thumbnail and playlist names are unique per video on PeerTube: derive them from this video's uuid.
    text = UUID_RE.sub(lambda m: m.group(0) if m.group(0) == video["uuid"] else
                       str(uuid.uuid5(uuid.UUID(video["uuid"]), m.group(0))), text)
    doc = json.loads(text)
    doc["name"] = video["name"]
    doc["published"], doc["updated"] = video["published"], video["updated"]
    doc["views"] = video.get("views", 0)
    for link in doc["url"]:
        if link.get("mediaType", "").endswith("magnet"):
            link["href"] = link["href"].replace(FIXTURE_NAME.replace(" ", "+"), video["name"].replace(" ", "+"))
    return doc


def note_object(note):
    """VideoCommentModel.toActivityPubObject (models/video/video-comment.ts), audiencified."""
    return {
        "to": note["to"], "cc": note["cc"],
        "type": "Note",
        "id": note["id"],
        "content": note["text"],
        "mediaType": "text/markdown",
        "inReplyTo": note["in_reply_to"],
        "updated": note["updated"],
        "published": note["published"],
        "url": note["id"],
        "attributedTo": note["author"],
        "replyApproval": note["reply_approval"],
        "tag": note["tag"],
    }


def player_settings(object_url, theme):
    """PlayerSettingModel.formatAPPlayerSetting; PeerTube 8 fetches a channel's (and a video's)
    `playerSettings` and fails the whole actor (or video) when it does not answer."""
    return contextify({"id": f"{object_url}/player-settings", "object": object_url, "type": "PlayerSettings",
                       "theme": theme}, "PlayerSettings", None)


def chapters(video_url):
    return contextify({"id": f"{video_url}/chapters", "hasPart": []}, "Chapters", None)


def tombstone(note):
    return {"id": note["id"], "type": "Tombstone", "formerType": "Note", "inReplyTo": note["in_reply_to"],
            "published": note["published"], "updated": note["updated"], "deleted": note["deleted"]}


def collection(url, items, page):
    """activityPubCollectionPagination (lib/activitypub/collection.ts): the collection
    (no `first` when empty), or page N of PAGE_SIZE items with `next` / `prev`."""
    if page is None:
        doc = {"id": url, "type": "OrderedCollection", "totalItems": len(items)}
        if items:
            doc["first"] = f"{url}?page=1"
        return {"@context": _ctx(), **doc}
    start = (page - 1) * PAGE_SIZE
    doc = {"id": f"{url}?page={page}", "type": "OrderedCollectionPage"}
    if page > 1:
        doc["prev"] = f"{url}?page={page - 1}"
    if len(items) > page * PAGE_SIZE:
        doc["next"] = f"{url}?page={page + 1}"
    doc.update({"partOf": url, "orderedItems": items[start:start + PAGE_SIZE], "totalItems": len(items)})
    return {"@context": _ctx(), **doc}


# Activities, as the senders build them (audiencify puts to/cc first).

def follow(follow_id, actor, target):
    return {"type": "Follow", "id": follow_id, "actor": actor, "object": target}


def undo(undo_id, actor, followers, inner, audience=None):
    audience = audience or {"to": [fc.PUBLIC], "cc": [followers]}
    return {**audience, "type": "Undo", "id": undo_id, "actor": actor, "object": inner}


def accept(accept_id, actor, follow_activity):
    return {"type": "Accept", "id": accept_id, "actor": actor, "object": follow_activity}


def rate(kind, rate_id, actor, video_url, audience):
    return {**audience, "id": rate_id, "type": kind, "actor": actor, "object": video_url}


def view(view_id, actor, video_url, audience, viewers=None, expires=None):
    base = {"id": view_id, "type": "View", "actor": actor, "object": video_url}
    if viewers is None:
        return {**audience, **base}
    return {**audience, **base, "expires": expires,
            "result": {"interactionType": "WatchAction", "type": "InteractionCounter",
                       "userInteractionCount": viewers}}


def create(object_id, actor, obj, audience):
    return {**audience, "type": "Create", "id": f"{object_id}/activity", "actor": actor,
            "object": {**audience, **obj} if isinstance(obj, dict) else obj}


def update(update_id, actor, obj, audience):
    return {**audience, "type": "Update", "id": update_id, "actor": actor, "object": {**audience, **obj}}


def delete(object_id, actor, audience=None):
    activity = {"type": "Delete", "id": f"{object_id}/delete", "actor": actor, "object": object_id}
    return {**audience, **activity} if audience else activity


def announce(announce_id, actor, object_id, audience):
    return {**audience, "type": "Announce", "id": announce_id, "actor": actor, "object": object_id}


def reply_approval(kind, activity_id, actor, in_reply_to, comment_url):
    activity = {"type": kind, "id": activity_id, "actor": actor, "inReplyTo": in_reply_to, "object": comment_url}
    return {k: v for k, v in activity.items() if v is not None}


def cache_file(cache_id, video_url, href, expires, link=None):
    """VideoRedundancyModel.toActivityPubObject: an HLS playlist Link (PeerTube 8), or
    `link` (a web-video file Link: mediaType, height, size, fps, as PeerTube <= 6 sent)."""
    url = {"type": "Link", "mediaType": "application/x-mpegURL", "href": href} if link is None else \
        {"type": "Link", "href": href, **link}
    return {"id": cache_id, "type": "CacheFile", "object": video_url, "expires": expires, "url": url}
