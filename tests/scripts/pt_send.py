"""How the fake PeerTube (fake_peertube.py) sends: activities built as PeerTube
8.0.0's senders build them (server/core/lib/activitypub/send/*.ts), addressed as
they address them (send/shared/send-utils.ts: to the video owner's shared inbox,
or to the shared inboxes of the followers of the actors involved), signed with
draft-cavage rsa-sha256 over (request-target), host, date and digest.
"""
import json
import urllib.parse
import uuid

import fed_common as fc
import pt_shapes as ps


class Sender:
    """The sending half of FakePeerTube (a mixin: it uses its state and fetchers)."""


    def post(self, activity, inbox, signer, cmd, context_type):
        with self.lock:
            self.sent[activity["id"]] = activity
        doc = activity if cmd.get("bare") else ps.contextify(activity, context_type, self.video_context)
        body = json.dumps(doc).encode()
        result = fc.post_signed(inbox, body, signer, cmd, ps.USER_AGENT.format(base=self.base),
                                cavage_headers=ps.SIGNED_POST_HEADERS, extra_headers={"Accept": ps.FETCH_ACCEPT})
        return {**result, "activity": doc, "inbox": inbox}

    def follower_inboxes(self, actors):
        """computeFollowerUris: the shared inboxes of the accepted followers of `actors`."""
        with self.lock:
            return sorted({f["shared_inbox"] for (local, _), f in self.followers.items() if local in actors})

    def broadcast(self, activity, actors, signer, cmd, context_type):
        inboxes = [cmd["inbox"]] if cmd.get("inbox") else self.follower_inboxes(actors)
        results = [self.post(activity, inbox, signer, cmd, context_type) for inbox in inboxes]
        return {"status": results[0]["status"] if results else 0, "body": results[0]["body"] if results else "",
                "activity": results[0]["activity"] if results else activity, "results": results}

    def publish_video(self, name, announce=True, cmd=None):
        vid = str(uuid.uuid4())
        now = ps.now_iso()
        video = {"uuid": vid, "id": next(self.ids), "name": name, "published": now, "updated": now, "views": 0,
                 "url": f"{self.base}/videos/watch/{vid}"}
        with self.lock:
            self.videos[vid] = video
        if not announce:
            return video
        root, server, channel = self.actor("root"), self.server_actor, self.actor("root_channel")
        involved = [server.followers, channel.followers, root.followers]
        audience = {"to": [fc.PUBLIC] + involved, "cc": []}
        sent = self.broadcast(ps.announce(f"{video['url']}/announces/1", server.id, video["url"], audience),
                              [server.id], server, cmd or {}, "Announce")
        obj = ps.video_object(self.base, self.host.host, video)
        obj = {k: v for k, v in obj.items() if k not in ("@context", "to", "cc")}
        create = ps.create(video["url"], root.id, obj, {"to": [fc.PUBLIC], "cc": [root.followers]})
        self.broadcast(create, [root.id], root, {k: v for k, v in (cmd or {}).items() if k != "inbox"}, "Video")
        return {**sent, "video": video}

    def remote_video(self, url):
        """The remote video to act on. PeerTube would first need to store it; when the
        fake could not (recorded in remote_videos[url]["error"]), it still acts on it, so
        a test of comments or rates does not fail for a Video-object problem."""
        record = self.remote_videos.get(url)
        if record is None or not record.get("ok"):
            try:
                self.on_video(url)
            except ValueError as e:
                fc.log(f"fake peertube: acting on a video PeerTube would refuse: {e}")
            record = self.remote_videos[url]
        if not record.get("ok") and "account" not in record:
            status, body, _ = self.fetch(url)
            if status != 200 or not isinstance(body, dict):
                raise ValueError(f"GET {url}: {status}")
            people = [pv_id(a) for a in body.get("attributedTo") or [] if self.remote_actor(pv_id(a))["type"] == "Person"]
            record.update({"uuid": body.get("uuid"), "account": people[0] if people else pv_id(body["attributedTo"][0])})
        return record

    def build_and_send(self, cmd):
        kind = cmd["kind"]
        actor = self.actor(cmd.get("as"))
        if kind == "publish":
            return self.publish_video(cmd.get("name", "a new PeerTube video"), cmd=cmd)
        if kind == "raw":
            return self.post(cmd["activity"], cmd["inbox"], actor, cmd, cmd.get("context", "Rate"))
        if kind in ("like", "dislike", "view"):
            video = self.remote_video(cmd["object"])
            owner = video["account"]
            audience = {"to": [owner], "cc": []}  # getOriginVideoAudience
            inbox = cmd.get("inbox") or self.shared_inbox(owner)
            if kind == "view":
                server = self.server_actor
                view_id = f"{server.id}/views/videos/{video.setdefault('local_id', next(self.ids))}/{uuid.uuid4()}"
                expires = ps.now_iso() if cmd.get("viewers") is not None else None
                activity = ps.view(view_id, server.id, cmd["object"], audience, cmd.get("viewers"), expires)
                return self.post(activity, inbox, server, cmd, "View")
            name = "likes" if kind == "like" else "dislikes"
            rate_id = f"{actor.id}/{name}/{video.setdefault('local_id', next(self.ids))}"
            return self.post(ps.rate(kind.capitalize(), rate_id, actor.id, cmd["object"], audience), inbox, actor, cmd,
                             "Rate")
        if kind == "undo":
            with self.lock:
                original = self.sent.get(cmd["activity_id"])
            if original is None:
                raise ValueError(f"undo: nothing sent with id {cmd['activity_id']}")
            video = self.remote_video(original["object"])
            inner = {"to": [fc.PUBLIC], "cc": [actor.followers], **{k: v for k, v in original.items()
                                                                    if k not in ("to", "cc")}}
            activity = ps.undo(f"{original['id']}/undo", actor.id, actor.followers, inner,
                               {"to": [video["account"]], "cc": []})
            return self.post(activity, cmd.get("inbox") or self.shared_inbox(video["account"]), actor, cmd, "Rate")
        if kind == "cache_file":
            return self.send_cache_file(cmd)
        if kind == "comment":
            return self.comment_on_remote(cmd, actor)
        if kind == "own_comment":
            return self.comment_on_own(cmd, actor)
        if kind == "delete_comment":
            note = self.notes[cmd["note_id"]]
            video = self.remote_video(note["video"])
            audience = {"to": [fc.PUBLIC], "cc": [video["account"], actor.followers] + note["parent_authors"]}
            note["deleted"] = ps.now_iso()
            return self.post(ps.delete(note["id"], actor.id, audience),
                             cmd.get("inbox") or self.shared_inbox(video["account"]), actor, cmd, "Delete")
        if kind in ("update_video", "delete_video"):
            video = self.videos[cmd["uuid"]]
            root = self.actor("root")
            involved = [self.server_actor.id, self.actor("root_channel").id, root.id]
            if kind == "delete_video":
                followers = [self.server_actor.followers, self.actor("root_channel").followers, root.followers]
                activity = ps.delete(video["url"], root.id, {"to": [fc.PUBLIC] + followers, "cc": []})
                with self.lock:
                    del self.videos[cmd["uuid"]]
                return self.broadcast(activity, involved, root, cmd, "Delete")
            video["name"] = cmd.get("name", video["name"])
            video["updated"] = ps.now_iso()
            obj = {k: v for k, v in ps.video_object(self.base, self.host.host, video).items()
                   if k not in ("@context", "to", "cc")}
            activity = ps.update(f"{video['url']}/updates/{video['updated']}", root.id, obj,
                                 {"to": [fc.PUBLIC], "cc": [root.followers]})
            return self.broadcast(activity, involved, root, cmd, "Video")
        if kind in ("approve_reply", "reject_reply"):
            kind_name = "ApproveReply" if kind == "approve_reply" else "RejectReply"
            suffix = "approve-reply" if kind == "approve_reply" else "reject-reply"
            # getLocalApproveReplyActivityPubUrl: on our host, under our video's comment.
            parent = self.notes.get(cmd["in_reply_to"])
            video = self.local_video(parent["video"] if parent else cmd["in_reply_to"]) or next(iter(self.videos.values()))
            stored = self.notes.get(cmd["object"])
            local_id = stored.setdefault("local_id", next(self.ids)) if stored else next(self.ids)
            activity_id = cmd.get("id") or f"{video['url']}/comments/{local_id}/{suffix}"
            activity = ps.reply_approval(kind_name, activity_id, actor.id, cmd["in_reply_to"], cmd["object"])
            return self.post(activity, cmd["inbox"], actor, cmd, kind_name)
        raise ValueError(f"unknown kind {kind!r}")

    def send_cache_file(self, cmd):
        """A CacheFile about a remote (Shoal) video, from the instance actor to the video
        owner's shared inbox (send-create.ts sendCreateCacheFile, send-update.ts
        sendUpdateCacheFile, send-undo.ts sendUndoCacheFile; audience
        getOriginVideoAudience). "action": create | update | undo; "form": hls (what
        PeerTube 8 sends: /redundancy/streaming-playlists/hls/UUID) | web-video (PeerTube
        <= 6: /redundancy/videos/UUID/RES[-FPS], "resolution", "size", "fps", "filename");
        "expires" (ISO, or null); "href" overrides the copy's URL."""
        server = self.server_actor
        video = self.remote_video(cmd["video"])
        owner = video["account"]
        if cmd.get("form", "hls") == "hls":
            cache_id = f"{self.base}/redundancy/streaming-playlists/hls/{video['uuid']}"
            href, link = f"{self.base}/static/redundancy/hls/{video['uuid']}", None
        else:
            res, fps = cmd["resolution"], cmd.get("fps")
            suffix = f"-{fps}" if fps and fps != -1 else ""
            cache_id = f"{self.base}/redundancy/videos/{video['uuid']}/{res}{suffix}"
            href = f"{self.base}/static/redundancy/{cmd.get('filename', video['uuid'] + '-' + str(res) + '.mp4')}"
            link = {"mediaType": cmd.get("media_type", "video/mp4"), "height": res, "size": cmd["size"], "fps": fps}
        href = cmd.get("href") or href
        obj = ps.cache_file(cache_id, cmd["video"], href, cmd.get("expires"), link)
        audience = {"to": [owner], "cc": []}
        action = cmd.get("action", "create")
        if action == "create":
            activity = ps.create(cache_id, server.id, obj, audience)
        elif action == "update":
            activity = ps.update(f"{cache_id}/updates/{ps.now_iso()}", server.id, obj, audience)
        elif action == "undo":
            inner = ps.create(cache_id, server.id, obj, {"to": [fc.PUBLIC], "cc": [server.followers]})
            activity = ps.undo(f"{cache_id}/undo", server.id, server.followers, inner, audience)
        else:
            raise ValueError(f"cache_file: unknown action {action!r}")
        result = self.post(activity, cmd.get("inbox") or self.shared_inbox(owner), server, cmd, "CacheFile")
        return {**result, "cache_file_id": cache_id}

    def shared_inbox(self, actor_url):
        doc = self.remote_actor(actor_url)
        return (doc.get("endpoints") or {}).get("sharedInbox") or doc["inbox"]

    def thread_of(self, url):
        """The parent notes of a reply, nearest first (listThreadParentComments)."""
        parents = []
        while url in self.notes:
            parents.append(self.notes[url])
            url = self.notes[url]["in_reply_to"]
        return parents

    def comment_on_remote(self, cmd, actor):
        """A comment by a PeerTube account on a remote (Shoal) video: send-create.ts
        sendCreateVideoCommentIfNeeded, to the video owner's shared inbox."""
        video = self.remote_video(cmd["video"])
        in_reply_to = cmd.get("in_reply_to") or cmd["video"]
        parents = self.thread_of(in_reply_to)
        if in_reply_to != cmd["video"] and not parents:
            # A comment of Shoal's we never stored: PeerTube would have fetched it with the thread.
            self.on_comment({"id": in_reply_to})
            parents = self.thread_of(in_reply_to)
        parent_authors = [p["author"] for p in parents]
        owner_followers = self.remote_actor(video["account"]).get("followers")
        followers = [owner_followers, actor.followers] + \
            [self.remote_actor(a).get("followers") if a != actor.id else actor.followers for a in parent_authors]
        audience = {"to": [fc.PUBLIC] + unique(f for f in followers if f), "cc": []}
        note = self.new_note(actor, video["uuid"], cmd["video"], in_reply_to, cmd.get("text", "hello"), audience,
                             parents, reply_approval=None)
        note["parent_authors"] = parent_authors
        create = ps.create(note["id"], actor.id, ps.note_object(note), audience)
        return {**self.post(create, cmd.get("inbox") or self.shared_inbox(video["account"]), actor, cmd, "Comment"),
                "note_id": note["id"]}

    def comment_on_own(self, cmd, actor):
        """A comment on PeerTube's own video, sent to the followers (getVideoCommentAudience
        with isOrigin), its replyApproval set to its own approve-reply URL."""
        video = self.videos[cmd["uuid"]] if cmd.get("uuid") else next(iter(self.videos.values()))
        in_reply_to = cmd.get("in_reply_to") or video["url"]
        parents = self.thread_of(in_reply_to)
        audience = {"to": [fc.PUBLIC], "cc": unique([actor.followers] + [p["author"] for p in parents])}
        note = self.new_note(actor, video["uuid"], video["url"], in_reply_to, cmd.get("text", "hello"), audience,
                             parents, reply_approval="self")
        note["parent_authors"] = [p["author"] for p in parents]
        create = ps.create(note["id"], actor.id, ps.note_object(note), audience)
        involved = [actor.id, self.server_actor.id, self.actor("root_channel").id, self.actor("root").id]
        return {**self.broadcast(create, involved, actor, cmd, "Comment"), "note_id": note["id"]}

    def new_note(self, actor, video_uuid, video_url, in_reply_to, text, audience, parents, reply_approval):
        note_id = f"{self.base}/videos/watch/{video_uuid}/comments/{next(self.ids)}"
        now = ps.now_iso()
        tag = []
        for p in parents:
            host = urllib.parse.urlsplit(p["author"]).netloc
            name = (self.remote_actors.get(p["author"]) or {}).get("preferredUsername") or \
                p["author"].rstrip("/").rsplit("/", 1)[-1]
            tag.append({"type": "Mention", "href": p["author"], "name": f"@{name}@{host}"})
        note = {"id": note_id, "text": text, "author": actor.id, "in_reply_to": in_reply_to, "video": video_url,
                "published": now, "updated": now, "local": True, "tag": tag, "to": audience["to"],
                "cc": audience["cc"], "reply_approval": f"{note_id}/approve-reply" if reply_approval == "self" else None}
        with self.lock:
            self.notes[note_id] = note
        return note



    def follow(self, target, actor):
        name, _, host = target.rpartition("@") if "@" in target else ("peertube", "", target)
        jrd = fc.requests.get(f"http://{host}/.well-known/webfinger", params={"resource": f"acct:{name}@{host}"},
                              headers={"Accept": "application/jrd+json"}, timeout=fc.HTTP_TIMEOUT).json()
        href = next(link["href"] for link in jrd["links"] if link.get("rel") == "self")
        doc = self.remote_actor(href)
        follow_id = f"{actor.id}/follows/{next(self.ids)}"
        with self.lock:
            self.follows[follow_id] = {"id": follow_id, "follower": actor.id, "following": doc["id"],
                                       "inbox": doc["inbox"], "state": "pending", "target": target}
        return self.post(ps.follow(follow_id, actor.id, doc["id"]), doc["inbox"], actor, {}, "Follow")

    def unfollow(self, target, actor):
        with self.lock:
            found = next((f for f in self.follows.values() if f["target"] == target and f["follower"] == actor.id),
                         None)
            if found is None:
                raise ValueError(f"no follow of {target}")
            del self.follows[found["id"]]
        inner = ps.follow(found["id"], actor.id, found["following"])
        return self.post(ps.undo(f"{found['id']}/undo", actor.id, actor.followers, inner), found["inbox"], actor, {},
                         "Follow")


def problem(status, detail):
    """PeerTube's res.fail answer (application/problem+json)."""
    title = {400: "Bad Request", 403: "Forbidden"}.get(status, "Error")
    return {"type": "about:blank", "title": title, "detail": detail, "status": status}


def actor_id(activity):
    return pv_id(activity.get("actor")) if isinstance(activity, dict) else None


def pv_id(value):
    return value.get("id") if isinstance(value, dict) else value


def same_host(a, b):
    return urllib.parse.urlsplit(a).netloc.lower() == urllib.parse.urlsplit(b).netloc.lower()


def unique(items):
    out = []
    for i in items:
        if i not in out:
            out.append(i)
    return out
