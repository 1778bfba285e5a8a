"""A fake PeerTube 8.0.0 instance on 127.0.0.1 for Shoal's federation tests.

Usage: tests/.venv/bin/python fake_peertube.py [--account-key-bits 1024|2048]

Actors as PeerTube 8.0 serves them (pt_shapes.py, from documents a real 8.0.0
served): the instance `Application` /accounts/peertube (2048-bit key), `Person`
/accounts/root (1024-bit, as PeerTube's test mode makes), `Group`
/video-channels/root_channel (also 1024-bit; `--account-key-bits 2048` gives
both the 2048-bit keys a production PeerTube makes); WebFinger, NodeInfo 2.0 (peertube 8.0.0), one
video (/videos/watch/UUID, PeerTube's full Video JSON), its Notes, and
collections paged 2 per page as its test mode pages them.

Inboxes `/inbox`, `/accounts/NAME/inbox`, `/video-channels/NAME/inbox` behave
as PeerTube's (controllers/activitypub/inbox.ts, middlewares/activitypub.ts):
403 unless a draft-cavage signature (httpsig) over (request-target), host,
digest and date verifies (so an RFC 9421-only POST gets 403), 400 for what is
not an activity, else 204; then each activity goes through PeerTube's checks
(pt_validate.py) and processors (lib/activitypub/process/*.ts): an Accept or
Reject of one of its Follows counts only at the follower's own inbox ("Need to
accept on explicit inbox" otherwise), a Follow is accepted with an Accept sent
to the follower's own inbox, a comment is fetched from its origin (with its
author) and approved with an `ApproveReply` to its author's inbox, videos are
fetched from their origin and checked, likes, dislikes, views and deletes are
counted; actors it learns are crawled (followers, following, outbox,
playlists) and so are a video's likes, dislikes, shares and comments.

Documents are built by pt_shapes.py, checks ported in pt_validate.py, and
what it sends is built and addressed by pt_send.py.

Prints `{"base", "host", "actors": {name: id}, "video": {uuid, url}}` once
listening. Controlled over HTTP (JSON bodies), every command answers JSON:
- POST /_control/follow {"target": host | "name@host", "as"}: Follow (WebFinger
  `peertube@host` for a host), sent to the target's own inbox.
- POST /_control/unfollow {"target"}: Undo of that Follow.
- POST /_control/send {"kind", ...}: builds, signs (cavage rsa-sha256 unless
  "sign" says rfc9421 | none) and POSTs an activity as PeerTube builds it ->
  {"status", "body", "activity"}. Kinds: comment {"video", "in_reply_to",
  "text"} | own_comment {"text", "in_reply_to"} | like | dislike {"object"} |
  undo {"activity_id"} | view {"object", "viewers"} | publish {"name"} |
  update_video {"uuid", "name"} | delete_video {"uuid"} | cache_file {"video",
  "action", "form", ...} (see pt_send.py) | delete_comment
  {"note_id"} | approve_reply | reject_reply {"object", "in_reply_to"} | raw
  {"activity"}. "inbox": where to POST (default: where PeerTube sends it),
  "as": the actor, "bare": no @context (what this test-mode PeerTube sends when
  its JSON-LD signing fails).
- POST /_control/fetch {"url"}: a signed GET as the instance actor.
- POST /_control/crawl {"url"}: crawls a collection as crawl.ts does.
- GET /_control/state: follows, followers, comments, rates, views, remote
  videos, crawls, cache files received, deliveries (with their outcome) and GETs
  served.
"""
import copy
import itertools
import json
import sys
import threading
import time
import urllib.parse

import fed_common as fc
import pt_shapes as ps
import pt_validate as pv
from pt_send import Sender, actor_id, problem, pv_id, same_host

CLOCK_SKEW_SECS = 1800


class PeerTubeHost(fc.FakeHost):
    """PeerTube's routes and inbox checks on top of the shared fake host."""

    def __init__(self, fake):
        self.fake = fake
        super().__init__([], software="peertube", control=fake.control, actors=fake.make_actors)

    def inbox_paths(self):
        return {"/inbox"} | {f"/{a.path}/inbox" for a in self.actors.values()}

    def webfinger(self, resource):
        name, _, domain = resource.removeprefix("acct:").partition("@")
        actor = self.actors.get(name)
        if actor is None or domain != self.host:
            return None
        return {"subject": f"acct:{name}@{self.host}", "aliases": [actor.id],
                "links": [{"rel": "self", "type": fc.AP_JSON, "href": actor.id},
                          {"rel": "http://ostatus.org/schema/1.0/subscribe",
                           "template": f"{self.base}/remote-interaction?uri={{uri}}"}]}

    def nodeinfo(self, path):
        if path == "/.well-known/nodeinfo":
            return ps.fixture("nodeinfo_links.json", self.base, self.host)
        if path in ("/nodeinfo/2.0.json", "/nodeinfo/2.0"):
            return ps.fixture("nodeinfo.json", self.base, self.host)
        return None

    def document_at(self, url):
        return self.fake.document_at(url)

    def receive(self, handler, path, headers, body):
        entry = self.record_delivery(path, headers, body)
        status, answer = self.fake.check_inbox(entry, body)
        entry["status"] = status
        if status != 204:
            entry["outcome"] = f"refused {status}: {answer.get('detail')}"
            handler._reply(status, answer, "application/problem+json; charset=utf-8")
            if entry.get("process_anyway"):
                self.fake.process(entry)
                entry["outcome"] = f"answered {status} {answer.get('detail')!r}, yet processed: {entry['outcome']}"
            return None
        handler.send_response(204)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        handler.wfile.flush()
        self.fake.process(entry)


class FakePeerTube(Sender):
    def __init__(self, account_key_bits=1024):
        self.account_key_bits = account_key_bits
        self.lock = threading.RLock()
        self.ids = itertools.count(10)
        self.follows = {}     # follow id -> {follower, following, inbox, state, reason}
        self.followers = {}   # (local actor id, remote actor id) -> {follow_id, shared_inbox, inbox}
        self.sent = {}        # activity id -> activity (without @context)
        self.videos = {}      # uuid -> local video
        self.notes = {}       # note id -> note (local, and remote comments it stored)
        self.rates = {}       # (actor, video url) -> Like | Dislike
        self.views = {}       # video url -> count
        self.remote_actors = {}
        self.remote_videos = {}
        self.crawls = {}
        self.cache_files = {}  # CacheFile id -> what was received (see on_cache_file)
        self.host = PeerTubeHost(self)
        self.base = self.host.base
        self.host.fetcher = fc.KeyFetcher(signer=self.server_actor)
        self.publish_video("PeerTube's own video", announce=False)

    def make_actors(self, base):
        host = urllib.parse.urlsplit(base).netloc
        bits = self.account_key_bits
        root = ps.PtActor(base, host, "Person", "root", bits)
        return {
            "peertube": ps.PtActor(base, host, "Application", "peertube", 2048),
            "root": root,
            "root_channel": ps.PtActor(base, host, "Group", "root_channel", bits, "Main root channel", owner=root),
        }

    @property
    def server_actor(self):
        return self.host.actors["peertube"]

    def actor(self, name):
        return self.host.actors[name or "root"]

    # ---------------------------------------------------------------- serving

    def local_video(self, url):
        return next((v for v in self.videos.values() if v["url"] == url), None)

    def document_at(self, url):
        url = url.split("#", 1)[0]
        path, _, query = url.partition("?")
        page = urllib.parse.parse_qs(query).get("page", [None])[0]
        page = int(page) if page and page.isdigit() else None
        with self.lock:
            for a in self.host.actors.values():
                if path == a.id:
                    return a.document()
                if path.startswith(a.id + "/"):
                    return self.actor_collection(a, path[len(a.id) + 1:], path, page)
            for v in self.videos.values():
                if path == v["url"]:
                    return ps.contextify(ps.video_object(self.base, self.host.host, v), "Video", self.video_context)
                if path.startswith(v["url"] + "/"):
                    return self.video_collection(v, path[len(v["url"]) + 1:], path, page)
            note = self.notes.get(path)
            if note is not None and note["local"]:
                obj = ps.tombstone(note) if note.get("deleted") else ps.note_object(note)
                return ps.contextify(obj, "Comment", None)
        return None

    @property
    def video_context(self):
        return ps.fixture("video.json", self.base, self.host.host)["@context"]

    def actor_collection(self, a, name, url, page):
        if name == "followers":
            items = [r for (local, r) in self.followers if local == a.id]
        elif name == "following":
            items = [f["following"] for f in self.follows.values() if f["follower"] == a.id and f["state"] == "accepted"]
        elif name == "playlists":
            items = []
        elif name == "player-settings" and a.type == "Group":
            return ps.player_settings(a.id, "instance-default")
        elif name == "outbox":
            items = []
            for v in self.videos.values():
                if a.type == "Application":
                    items.append(ps.announce(f"{v['url']}/announces/1", a.id, v["url"],
                                             {"to": [fc.PUBLIC], "cc": [self.actor("root").followers]}))
                else:
                    items.append(ps.create(v["url"], self.actor("root").id, v["url"],
                                           {"to": [fc.PUBLIC], "cc": [self.actor("root").followers]}))
        else:
            return None
        return ps.collection(url, items, page)

    def video_collection(self, v, name, url, page):
        if name in ("likes", "dislikes"):
            kind = "Like" if name == "likes" else "Dislike"
            items = [f"{actor}/{name}/{v['id']}" for (actor, video), k in self.rates.items()
                     if video == v["url"] and k == kind]
        elif name == "player-settings":
            return ps.player_settings(v["url"], "channel-default")
        elif name == "chapters":
            return ps.chapters(v["url"])
        elif name == "announces":
            items = [f"{v['url']}/announces/1", f"{v['url']}/announces/3"]
        elif name == "comments":
            items = [n["id"] for n in self.notes.values() if n["video"] == v["url"] and not n.get("deleted")]
        else:
            return None
        return ps.collection(url, items, page)

    # ---------------------------------------------------------------- inbox

    def check_inbox(self, entry, body):
        """middlewares/activitypub.ts checkSignature, then activityPubValidator."""
        lower = {k.lower(): v for k, v in entry["headers"].items()}
        verification = {"scheme": None, "ok": False}
        entry["verification"] = verification
        if "signature" not in lower and "authorization" not in lower:
            return 403, problem(403, "no authorization or signature header present in the request")
        signature = lower.get("signature", "")
        if "signature-input" in lower or "keyId=" not in signature:
            # @peertube/http-signature parses only draft-cavage; an RFC 9421 value does not parse.
            verification["scheme"] = "rfc9421" if "signature-input" in lower else "unknown"
            return 403, problem(403, "bad param format (exception in signature parser: not a draft-cavage "
                                     "Signature; PeerTube 8.0 reads no RFC 9421 signatures)")
        params = {k.lower(): v for k, v in fc.httpsig.utils.parse_signature_header(signature).items()}
        signed = (params.get("headers") or "date").split()
        missing = [h for h in ("(request-target)", "host", "digest") if h not in signed]
        if missing:
            return 403, problem(403, f"{missing[0]} was not in the request")
        if "date" not in signed and "(created)" not in signed:
            return 403, problem(403, "date or (created) must be included in signature")
        try:
            when = fc.email.utils.parsedate_to_datetime(lower.get("date", "")).timestamp()
        except (TypeError, ValueError):
            return 403, problem(403, "date header is invalid")
        if abs(time.time() - when) > CLOCK_SKEW_SECS:
            return 403, problem(403, "clock skew of more than 1800 s")
        result = fc.verify_request("POST", self.base + entry["path"], entry["headers"], body, self.host.fetcher)
        verification.update(result)
        # server.ts: express.json's verify compares `Digest` with 'SHA-256=' + base64 exactly,
        # answers 403 'Invalid digest' when it differs, and lets the request go on anyway.
        digest_exact = lower.get("digest") == fc.digest_header(body)
        signature_ok = result["ok"] or (not digest_exact and str(result.get("error")).startswith("digest ok False, date ok True"))
        if not signature_ok:
            # The first answer wins: 'Invalid digest' when the digest differs too.
            return 403, problem(403, "Invalid signature" if digest_exact else "Invalid digest")
        activity = entry["activity"]
        if pv.root_activity(activity) is not None:
            return 400, problem(400, "Incorrect activity")
        verification["owner_is_actor"] = result.get("key_owner") == actor_id(activity)
        if not digest_exact:
            entry["process_anyway"] = True
            return 403, problem(403, "Invalid digest")
        return 204, None

    def process(self, entry):
        """processActivities (lib/activitypub/process/process.ts) for one delivery."""
        activity = entry["activity"]
        inbox_actor = next((a for a in self.host.actors.values() if entry["path"].split("?")[0] == f"/{a.path}/inbox"),
                           None)
        signer = entry["verification"].get("key_owner")
        items = activity.get("orderedItems") or activity.get("items") or [activity] \
            if activity.get("type") in ("Collection", "OrderedCollection") else [activity]
        outcomes = []
        for item in items:
            invalid = pv.activity(item)
            if invalid:
                outcomes.append(f"dropped (isActivityValid): {invalid}")
                continue
            if actor_id(item) != signer:
                outcomes.append(f"skipped: Signature mismatch between {actor_id(item)} and {signer}")
                continue
            try:
                outcomes.append(self.apply(item, signer, inbox_actor) or "processed")
            except Exception as e:  # PeerTube logs "Cannot process activity X" and goes on
                outcomes.append(f"Cannot process activity {item.get('type')}: {e}")
                fc.log(f"fake peertube: cannot process {item.get('type')}: {type(e).__name__}: {e}")
        with self.lock:
            entry["outcome"] = "; ".join(outcomes)

    def apply(self, act, signer, inbox_actor):
        kind = act["type"]
        if kind in ("Accept", "Reject"):
            if inbox_actor is None:
                raise ValueError(f"Need to {kind.lower()} on explicit inbox.")
            with self.lock:
                follow = next((f for f in self.follows.values()
                               if f["follower"] == inbox_actor.id and f["following"] == signer), None)
                if follow is None:
                    raise ValueError("Cannot find associated follow.")
                follow["state"] = "accepted" if kind == "Accept" else "rejected"
            if kind == "Accept":
                # processAccept: addFetchOutboxJob(targetActor)
                outbox = self.remote_actor(signer).get("outbox")
                if outbox:
                    threading.Thread(target=self.crawl, args=(outbox,), daemon=True).start()
            return f"follow {follow['state']}"
        if kind == "Follow":
            return self.on_follow(act, signer)
        if kind == "Undo":
            return self.on_undo(act, signer)
        if kind in ("Create", "Update") and isinstance(act["object"], dict) and act["object"].get("type") == "CacheFile":
            return self.on_cache_file(act, signer)
        if kind == "Create" and act["object"].get("type") == "Note":
            return self.on_comment(act["object"])
        if kind in ("Create", "Update") and act["object"].get("type") == "Video":
            return self.on_video(act["object"]["id"])
        if kind == "Announce":
            return self.on_video(pv_id(act["object"]))
        if kind in ("Like", "Dislike"):
            video = pv_id(act["object"])
            with self.lock:
                if self.local_video(video) is None and video not in self.remote_videos:
                    raise ValueError(f"unknown video {video}")
                self.rates[(signer, video)] = kind
            return f"{kind.lower()} counted"
        if kind == "View":
            with self.lock:
                self.views[act["object"]] = self.views.get(act["object"], 0) + 1
            return "view counted"
        if kind == "Delete":
            target = pv_id(act["object"])
            # process-delete.ts: a comment by its author or the video's account, a video
            # only by its account (not its channel), never one of ours.
            with self.lock:
                if target in self.notes:
                    note = self.notes[target]
                    video = self.remote_videos.get(note["video"]) or {}
                    owner = self.actor("root").id if self.local_video(note["video"]) else video.get("account")
                    if signer not in (note["author"], owner):
                        raise ValueError(f"Account {signer} does not own video comment {target} or video {note['video']}")
                    note["deleted"] = ps.now_iso()
                    return "comment deleted"
                if self.local_video(target):
                    raise ValueError(f"Remote instance cannot delete owned video {target}.")
                if target in self.remote_videos:
                    video = self.remote_videos[target]
                    if signer != video.get("account"):
                        raise ValueError(f"Account {signer} does not own video channel {video.get('channel')}")
                    video["deleted"] = True
                    return "video deleted"
            return "nothing to delete"
        if kind in ("ApproveReply", "RejectReply"):
            return f"{kind} of {act['object']}"
        return f"no processor for {kind}"

    def on_follow(self, act, signer):
        """process-follow.ts: follows of the instance (auto-approved here) and of accounts and
        channels are accepted; the Accept goes to the follower's own inbox (send-accept.ts)."""
        target = next((a for a in self.host.actors.values() if a.id == pv_id(act["object"])), None)
        if target is None:
            raise ValueError("Unknown actor")
        follower = self.remote_actor(signer)
        with self.lock:
            self.followers[(target.id, signer)] = {"follow_id": act["id"], "inbox": follower["inbox"],
                                                   "shared_inbox": (follower.get("endpoints") or {}).get("sharedInbox")
                                                   or follower["inbox"]}
        accept = ps.accept(f"{self.base}/accepts/follows/{next(self.ids)}", target.id,
                           ps.follow(act["id"], signer, target.id))
        result = self.post(accept, follower["inbox"], target, {}, "Accept")
        return f"followed; Accept to {follower['inbox']}: {result['status']}"

    def on_undo(self, act, signer):
        inner = act["object"]
        if inner["type"] == "Follow":
            with self.lock:
                removed = self.followers.pop((pv_id(inner["object"]), signer), None)
            return "follower removed" if removed else "no such follower"
        if inner["type"] == "Create" and isinstance(inner.get("object"), dict) and \
                inner["object"].get("type") == "CacheFile":
            # process-undo.ts processUndoCacheFile: loadByUrl, only by its actor.
            cache_id = inner["object"].get("id")
            with self.lock:
                known = self.cache_files.get(cache_id)
                if known is None:
                    return f"Cannot undo unknown video cache {cache_id}"
                if known["actor"] != signer:
                    raise ValueError(f"Cannot delete redundancy {cache_id} of another actor.")
                known["undone"] = True
            return "cache file undone" if known["stored"] else \
                "cache file undone (PeerTube 8 had not stored it: not an HLS redundancy)"
        if inner["type"] in ("Like", "Dislike"):
            with self.lock:
                removed = self.rates.pop((signer, pv_id(inner["object"])), None)
            return f"{inner['type'].lower()} undone" if removed else "no such rate"
        return f"undo of {inner['type']} ignored"

    def on_cache_file(self, act, signer):
        """process-create.ts processCreateCacheFile / process-update.ts processUpdateCacheFile:
        isRedundancyAccepted (this fake's accept_from is PeerTube's default, anybody), the
        video found (one of ours here), then createOrUpdateCacheFile: an update only by its
        actor, and PeerTube 8 keeps only HLS redundancies (others are valid but not stored:
        "Do not create remote cache file of non application/x-mpegURL media type")."""
        obj = act["object"]
        error = pv.cache_file(obj)
        if error:
            raise ValueError(f"Cache file object is not valid: {error}")
        if self.local_video(obj["object"]) is None:
            raise ValueError(f"Cannot find video {obj['object']}")
        media = obj["url"].get("mediaType")
        with self.lock:
            known = self.cache_files.get(obj["id"])
            if known is not None and known["actor"] != signer:
                raise ValueError(f"Cannot update redundancy {obj['id']} of another actor.")
            record = {"id": obj["id"], "actor": signer, "activity": act["type"], "object": obj,
                      "stored": media == "application/x-mpegURL", "undone": False,
                      "updates": (known or {}).get("updates", 0) + (1 if act["type"] == "Update" else 0)}
            self.cache_files[obj["id"]] = record
        if not record["stored"]:
            return f"cache file valid; not stored: PeerTube 8 keeps only application/x-mpegURL redundancies, not {media}"
        return "cache file stored"

    def on_comment(self, note):
        """process-create.ts / video-comments.ts resolveThread: the comment is fetched from its
        origin (never taken from the activity), then each parent up to a video of ours."""
        chain, url = [], note["id"]
        for _ in range(101):
            if url in self.notes or self.local_video(url) or url in self.remote_videos:
                break
            status, body, _ = self.fetch(url)
            if status != 200:
                raise ValueError(f"GET {url}: {status}")
            error = pv.note(body)
            if error:
                raise ValueError(f"Remote video comment JSON {url} is not valid: {error}")
            author = body.get("attributedTo")
            if not author or not same_host(author, url) or not same_host(body["id"], url):
                raise ValueError(f"Actor url {author} has not the same host than the comment url {url}")
            doc = self.remote_actor(author)
            if doc["type"] not in ("Person", "Application"):
                raise ValueError(f"Cannot create video comment with the non account actor {author}")
            chain.append({"id": body["id"], "text": body["content"], "author": author, "author_inbox": doc["inbox"],
                          "in_reply_to": body["inReplyTo"], "published": body["published"], "local": False,
                          "reply_approval": body.get("replyApproval")})
            url = body["inReplyTo"]
        else:
            raise ValueError("Recursion limit reached when resolving a thread")
        parent = self.notes.get(url)
        video = url if parent is None else parent["video"]
        local = self.local_video(video)
        if local is None and video not in self.remote_videos:
            raise ValueError(f"{url} is not a video or comment this instance knows")
        if local is not None and local.get("comments_policy", 1) == 3:
            return "comments disabled"
        created = []
        with self.lock:
            for c in reversed(chain):
                c["video"] = video
                if c["id"] not in self.notes:
                    self.notes[c["id"]] = c
                    created.append(c)
        if local is None:
            return f"{len(created)} comments stored"
        for c in created:
            # New non-moderated comment on our video: ApproveReply to its author's own inbox.
            c["local_id"] = next(self.ids)
            approval = ps.reply_approval("ApproveReply", f"{local['url']}/comments/{c['local_id']}/approve-reply",
                                         self.actor("root").id, c["in_reply_to"], c["id"])
            result = self.post(approval, c["author_inbox"], self.actor("root"), {}, "ApproveReply")
            c["approved_status"] = result["status"]
        return f"{len(created)} comments stored and approved"

    def on_video(self, url):
        """videos/get.ts getOrCreateAPVideo: fetched from its origin and checked (videos.ts),
        its channel found among attributedTo (a Group whose attributedTo has a Person), then
        its likes, dislikes, shares and comments crawled."""
        record = {"url": url, "ok": False}
        with self.lock:
            self.remote_videos.setdefault(url, record)
            record = self.remote_videos[url]
        status, body, _ = self.fetch(url)
        record["status"] = status
        if status != 200:
            record["error"] = f"GET {url}: {status}"
            raise ValueError(record["error"])
        error = pv.video(copy.deepcopy(body))
        if error is None and not same_host(body["id"], url):
            error = "id on another host"
        if error:
            record["error"] = f"Video field is not valid to PeerTube: {error}"
            raise ValueError(record["error"])
        channel = None
        for a in body.get("attributedTo") or []:
            doc = self.remote_actor(pv_id(a))
            if doc.get("type") == "Group":
                channel = doc
                break
        if channel is None:
            record["error"] = f"Cannot find associated video channel to video {url}"
            raise ValueError(record["error"])
        owners = [self.remote_actor(pv_id(o)) for o in channel.get("attributedTo") or []]
        if not any(o.get("type") == "Person" for o in owners):
            record["error"] = f"Cannot find a Person owning channel {channel['id']}"
            raise ValueError(record["error"])
        record.update({"ok": True, "error": None, "name": body["name"], "uuid": body["uuid"], "channel": channel["id"],
                       "account": next(o["id"] for o in owners if o.get("type") == "Person"),
                       "playable_urls": len(pv.playable_urls(body)), "comments_policy": pv.comments_policy(body),
                       "torrent_urls": pv.torrent_urls(body),
                       "object": body})
        for name in ("likes", "dislikes", "shares", "comments"):
            if body.get(name):
                threading.Thread(target=self.crawl, args=(body[name],), daemon=True).start()
        return f"video {body['name']!r} stored"

    # ---------------------------------------------------------------- fetching

    def fetch(self, url):
        server = self.server_actor
        return fc.signed_get(url, server, accept=ps.FETCH_ACCEPT, user_agent=ps.USER_AGENT.format(base=self.base),
                             names=ps.SIGNED_GET_HEADERS)

    def remote_actor(self, url):
        """getOrCreateAPActor: fetched and checked (actor.ts) once; a new actor's followers and
        following (counts), outbox and, for accounts, playlists are then crawled."""
        with self.lock:
            if url in self.remote_actors:
                return self.remote_actors[url]
        status, doc, _ = self.fetch(url)
        if status != 200 or not isinstance(doc, dict):
            raise ValueError(f"GET actor {url}: {status}")
        error = pv.actor(doc)
        if error:
            raise ValueError(f"actor {url} is not valid to PeerTube: {error}")
        with self.lock:
            self.remote_actors[url] = doc
        urls = [doc.get("followers"), doc.get("following"), doc.get("outbox")]
        if doc["type"] in ("Person", "Application"):
            urls.append(doc.get("playlists"))
        for u in filter(None, urls):
            threading.Thread(target=self.crawl, args=(u,), daemon=True).start()
        return doc

    def crawl(self, url):
        """crawl.ts crawlCollectionPage: the collection, then `first` and each `next`."""
        report = {"url": url, "status": None, "type": None, "pages": [], "items": 0, "error": None}
        with self.lock:
            self.crawls[url] = report
        try:
            status, body, _ = self.fetch(url)
            report["status"], report["type"] = status, body.get("type") if isinstance(body, dict) else None
            if status != 200 or not isinstance(body, dict):
                raise ValueError(f"GET {url}: {status}")
            report["totalItems"] = body.get("totalItems")
            link, seen = body.get("first"), 0
            while link and seen < 2000:
                seen += 1
                if isinstance(link, str):
                    status, page, _ = self.fetch(link)
                    report["pages"].append({"url": link, "status": status,
                                            "type": page.get("type") if isinstance(page, dict) else None})
                    if status != 200 or not isinstance(page, dict):
                        raise ValueError(f"GET page {link}: {status}")
                else:
                    page = link
                    report["pages"].append({"url": None, "status": 200, "type": page.get("type")})
                link = page.get("next")
                if isinstance(page.get("orderedItems"), list):
                    report["items"] += len(page["orderedItems"])
                    if url.endswith("/outbox"):
                        self.apply_fetched(page["orderedItems"])
        except Exception as e:
            report["error"] = f"{type(e).__name__}: {e}"
        report["done"] = True
        return report

    def apply_fetched(self, items):
        """processActivities with fromFetch (an outbox crawl): videos that are Created,
        Updated or Announced are fetched and stored; comments are not (process-create.ts)."""
        for item in items:
            if not isinstance(item, dict):
                continue
            obj = item.get("object")
            try:
                if item.get("type") == "Announce" or (item.get("type") in ("Create", "Update") and
                                                      (isinstance(obj, str) or (obj or {}).get("type") == "Video")):
                    self.on_video(pv_id(obj))
            except Exception as e:
                fc.log(f"fake peertube: outbox item {item.get('id')}: {e}")

    # ---------------------------------------------------------------- control
    def state(self):
        deliveries, requests = self.host.snapshot()
        with self.lock:
            return {
                "follows": list(self.follows.values()),
                "followers": [{"local": k[0], "remote": k[1], **v} for k, v in self.followers.items()],
                "comments": [{k: v for k, v in n.items()} for n in self.notes.values()],
                "rates": [{"actor": k[0], "video": k[1], "type": v} for k, v in self.rates.items()],
                "views": self.views,
                "videos": list(self.videos.values()),
                "remote_videos": {k: {f: x for f, x in v.items() if f != "object"} for k, v in self.remote_videos.items()},
                "remote_video_objects": {k: v.get("object") for k, v in self.remote_videos.items()},
                "crawls": self.crawls,
                "cache_files": list(self.cache_files.values()),
                "deliveries": [{k: v for k, v in d.items() if k != "headers"} | {"headers": d["headers"]}
                               for d in deliveries],
                "requests": requests,
            }

    def control(self, handler, method, path, body):
        if not path.startswith("/_control/"):
            return None
        try:
            cmd = json.loads(body or b"{}") if method == "POST" else {}
            if path == "/_control/state":
                return 200, self.state()
            if path == "/_control/follow":
                return 200, self.follow(cmd["target"], self.actor(cmd.get("as", "peertube")))
            if path == "/_control/unfollow":
                return 200, self.unfollow(cmd["target"], self.actor(cmd.get("as", "peertube")))
            if path == "/_control/send":
                return 200, self.build_and_send(cmd)
            if path == "/_control/fetch":
                status, doc, headers = self.fetch(cmd["url"])
                return 200, {"status": status, "body": doc, "content_type": headers.get("Content-Type", "")}
            if path == "/_control/crawl":
                return 200, self.crawl(cmd["url"])
            return 404, {"error": f"no control {path}"}
        except Exception as e:  # reported to the test, which fails with it
            fc.log(f"control {path} failed: {type(e).__name__}: {e}")
            return 500, {"error": f"{type(e).__name__}: {e}"}


def main():
    args = sys.argv[1:]
    bits = int(args[args.index("--account-key-bits") + 1]) if "--account-key-bits" in args else 1024
    fake = FakePeerTube(bits)
    fake.host.start()
    video = next(iter(fake.videos.values()))
    print(json.dumps({"base": fake.base, "host": fake.host.host,
                      "actors": {n: a.id for n, a in fake.host.actors.items()},
                      "video": {"uuid": video["uuid"], "url": video["url"]}}), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
