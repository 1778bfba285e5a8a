"""A fake Mastodon instance on 127.0.0.1 for Shoal's federation tests.

Usage: tests/.venv/bin/python fake_mastodon.py [NAME ...]   (default: alice bob)

Serves its accounts (`/users/NAME`, Person, own RSA-2048 key), WebFinger,
NodeInfo, the notes it posted (at their ids), and inboxes (`/inbox` and
`/users/NAME/inbox`) that record every delivery and verify its signature with
httpsig.HeaderVerifier (draft-cavage) or http_message_signatures'
HTTPMessageVerifier (RFC 9421, when the request carries Signature-Input),
fetching the signer's key from its actor.

Prints one JSON line `{"base": ..., "actors": {NAME: actor id}}` on stdout once
listening, then runs until killed. Controlled over HTTP (JSON bodies):
- POST /_control/resolve {"acct": "name@host"}: WebFinger (as Mastodon does it)
  then a signed GET of the `self` link -> {"webfinger", "actor_id", "actor"}.
- POST /_control/fetch {"url", "as": NAME|null, "accept"}: -> {"status", "body"}.
- POST /_control/send: builds an activity exactly as Mastodon does, signs it and
  POSTs it -> {"status", "body", "activity"}. Fields:
    "kind": follow | undo | reply | like | dislike | raw
    "as": the acting account (default the first), "inbox": where to POST,
    follow/like/dislike: "object"; undo: "activity_id" (one sent earlier);
    reply: "in_reply_to", "text", optional "mention" {"href", "name"}, "cc" [..];
    raw: "activity" (sent as given);
    "sign": rsa-sha256 (default) | hs2019 | rfc9421 | none,
    "key_of": sign with another account's key (key owner != actor),
    "date_offset_secs": shift the Date header, "tamper": signature | digest,
    "pad_bytes": add a field of that many bytes, "raw_body": send these bytes,
    "patch": a JSON object merged into the built activity.
- POST /_control/note_chain {"depth", "in_reply_to", "prefix"}: posts (stores, sends
  nowhere) DEPTH notes "PREFIX i", each replying to the previous, the first to
  IN_REPLY_TO -> {"ids": [...]}.
- GET /_control/received -> {"deliveries": [...], "requests": [...], "refused": [...]}:
  every inbox POST with its headers, body, parsed activity and "verification"; the
  GETs served; the POSTs refused in PeerTube 8.0 mode.
- POST /_control/refuse_rfc9421 {"refuse": true|false}: PeerTube 8.0 mode, which
  answers 403 to every inbox POST signed RFC 9421 (PeerTube 8.0 parses draft-cavage
  only) -> {"refuse": ...}.
"""
import copy
import itertools
import json
import sys
import threading
import time
import uuid

import fed_common as fc
import requests

_snowflake = itertools.count(int(time.time() * 1000) << 16)


def next_status_id():
    return str(next(_snowflake))


def mastodon_note_context():
    """The @context array Mastodon 4 puts on a Create of a Note."""
    return [
        fc.AS_CONTEXT,
        {
            "ostatus": "http://ostatus.org#",
            "atomUri": "ostatus:atomUri",
            "inReplyToAtomUri": "ostatus:inReplyToAtomUri",
            "conversation": "ostatus:conversation",
            "sensitive": "as:sensitive",
            "toot": "http://joinmastodon.org/ns#",
            "votersCount": "toot:votersCount",
            "blurhash": "toot:blurhash",
            "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
            "Hashtag": "as:Hashtag",
        },
    ]


def deep_merge(base, patch):
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            deep_merge(base[key], value)
        else:
            base[key] = value
    return base


class FakeMastodon:
    def __init__(self, names):
        self.host = fc.FakeHost(names, software="mastodon", control=self.control, on_delivery=self.on_delivery)
        self.sent = {}
        self.lock = threading.Lock()

    def actor(self, name):
        if name is None:
            return next(iter(self.host.actors.values()))
        if name not in self.host.actors:
            raise ValueError(f"no account {name}")
        return self.host.actors[name]

    # Activities, shaped as Mastodon's serializers shape them.

    def follow(self, actor, obj):
        return {"@context": fc.AS_CONTEXT, "id": f"{actor.base}/{uuid.uuid4()}", "type": "Follow",
                "actor": actor.id, "object": obj}

    def undo(self, actor, activity_id):
        with self.lock:
            original = self.sent.get(activity_id)
        if original is None:
            raise ValueError(f"undo: nothing sent with id {activity_id}")
        inner = {k: v for k, v in original.items() if k != "@context"}
        suffix = {"Follow": "follows", "Like": "likes"}.get(original["type"], "activities")
        return {"@context": fc.AS_CONTEXT, "id": f"{actor.id}#{suffix}/{next_status_id()}/undo", "type": "Undo",
                "actor": actor.id, "object": inner}

    def like(self, actor, obj, kind="Like"):
        # Mastodon: `{actor}#likes/{favourite id}`; Dislike is PeerTube's, same shape.
        return {"@context": fc.AS_CONTEXT, "id": f"{actor.id}#{kind.lower()}s/{next_status_id()}", "type": kind,
                "actor": actor.id, "object": obj}

    def note(self, actor, in_reply_to, text, mention=None, cc=None):
        status_id = next_status_id()
        note_id = f"{actor.id}/statuses/{status_id}"
        published = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        cc_list = [f"{actor.id}/followers"] + list(cc or [])
        tags, content = [], f"<p>{text}</p>"
        if mention:
            cc_list.append(mention["href"])
            tags.append({"type": "Mention", "href": mention["href"], "name": mention["name"]})
            short = mention["name"].lstrip("@").split("@")[0]
            content = (f'<p><span class="h-card" translate="no"><a href="{mention["href"]}" class="u-url mention">'
                       f'@<span>{short}</span></a></span> {text}</p>')
        return {
            "id": note_id,
            "type": "Note",
            "summary": None,
            "inReplyTo": in_reply_to,
            "published": published,
            "url": f"{actor.base}/@{actor.name}/{status_id}",
            "attributedTo": actor.id,
            "to": [fc.PUBLIC],
            "cc": cc_list,
            "sensitive": False,
            "atomUri": note_id,
            "inReplyToAtomUri": in_reply_to,
            "conversation": f"tag:{actor.host},{published[:10]}:objectId={status_id}:objectType=Conversation",
            "content": content,
            "contentMap": {"en": content},
            "attachment": [],
            "tag": tags,
            "replies": {
                "id": f"{note_id}/replies",
                "type": "Collection",
                "first": {"type": "CollectionPage", "next": f"{note_id}/replies?only_other_accounts=true&page=true",
                          "partOf": f"{note_id}/replies", "items": []},
            },
        }

    def create(self, actor, note):
        return {"@context": mastodon_note_context(), "id": f"{note['id']}/activity", "type": "Create",
                "actor": actor.id, "published": note["published"], "to": note["to"], "cc": note["cc"],
                "object": note}

    def build(self, cmd):
        actor = self.actor(cmd.get("as"))
        kind = cmd.get("kind")
        if kind == "follow":
            return self.follow(actor, cmd["object"])
        if kind == "undo":
            return self.undo(actor, cmd["activity_id"])
        if kind in ("like", "dislike"):
            return self.like(actor, cmd["object"], kind.capitalize())
        if kind == "reply":
            note = self.note(actor, cmd["in_reply_to"], cmd.get("text", "hello"), cmd.get("mention"), cmd.get("cc"))
            self.host.store(copy.deepcopy(note))
            return self.create(actor, note)
        if kind == "raw":
            return cmd["activity"]
        raise ValueError(f"unknown kind {kind!r}")

    def on_delivery(self, entry):
        """Answers a verified Follow of a local account with an Accept, as Mastodon
        does for accounts that do not approve followers manually."""
        activity = entry["activity"] if isinstance(entry["activity"], dict) else {}
        followed = next((a for a in self.host.actors.values() if a.id == activity.get("object")), None)
        if activity.get("type") != "Follow" or followed is None or not entry["verification"]["ok"]:
            return
        status, follower, _ = fc.signed_get(activity["actor"], followed)
        if status != 200 or not isinstance(follower, dict):
            fc.log(f"accept: cannot fetch follower {activity['actor']}: {status}")
            return
        inbox = (follower.get("endpoints") or {}).get("sharedInbox") or follower.get("inbox")
        accept = {"@context": fc.AS_CONTEXT, "id": f"{followed.id}#accepts/follows/{next_status_id()}",
                  "type": "Accept", "actor": followed.id, "object": activity}
        result = self.post(accept, inbox, followed, {})
        fc.log(f"accept of {activity.get('id')} to {inbox}: {result['status']}")

    # Sending.

    def send(self, cmd):
        activity = self.build(cmd)
        if cmd.get("patch"):
            deep_merge(activity, cmd["patch"])
            if isinstance(activity.get("object"), dict) and activity["object"].get("type") == "Note":
                self.host.store(copy.deepcopy(activity["object"]))
        if cmd.get("pad_bytes"):
            activity["padding"] = "x" * int(cmd["pad_bytes"])
        if isinstance(activity, dict) and "id" in activity:
            with self.lock:
                self.sent[activity["id"]] = activity
            if activity.get("type") == "Create":
                self.host.store(copy.deepcopy(activity))
        signer = self.actor(cmd.get("key_of") or cmd.get("as"))
        return self.post(activity, cmd["inbox"], signer, cmd)

    def post(self, activity, url, signer, cmd):
        """Signs (as `cmd` says) and POSTs an activity."""
        body = cmd["raw_body"].encode() if "raw_body" in cmd else json.dumps(activity).encode()
        result = fc.post_signed(url, body, signer, cmd, "http.rb/5.2.0 (Mastodon/4.3.0; +http://fake-mastodon/)")
        return {**result, "activity": activity}

    def resolve(self, acct):
        name, _, domain = acct.removeprefix("acct:").removeprefix("@").partition("@")
        resp = requests.get(f"http://{domain}/.well-known/webfinger", params={"resource": f"acct:{name}@{domain}"},
                            headers={"Accept": "application/jrd+json"}, timeout=fc.HTTP_TIMEOUT)
        if resp.status_code != 200:
            return {"error": f"webfinger {resp.status_code}: {resp.text}"}
        jrd = resp.json()
        link = next((l for l in jrd.get("links", []) if l.get("rel") == "self"
                     and l.get("type") in (fc.AP_JSON, 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"')),
                    None)
        if link is None:
            return {"webfinger": jrd, "error": "no self link of an ActivityPub type"}
        status, actor, _ = fc.signed_get(link["href"], self.actor(None))
        return {"webfinger": jrd, "actor_id": link["href"], "status": status, "actor": actor}

    def note_chain(self, depth, in_reply_to, prefix="chain"):
        actor, ids, parent = self.actor(None), [], in_reply_to
        for i in range(int(depth)):
            note = self.note(actor, parent, f"{prefix} {i}")
            self.host.store(note)
            ids.append(note["id"])
            parent = note["id"]
        return {"ids": ids}

    def control(self, handler, method, path, body):
        if not path.startswith("/_control/"):
            return None
        try:
            cmd = json.loads(body or b"{}") if method == "POST" else {}
            if path == "/_control/received":
                deliveries, reqs = self.host.snapshot()
                return 200, {"deliveries": deliveries, "requests": reqs, "refused": self.host.refused_snapshot()}
            if path == "/_control/refuse_rfc9421":
                self.host.refuse_rfc9421 = bool(cmd.get("refuse", True))
                return 200, {"refuse": self.host.refuse_rfc9421}
            if path == "/_control/send":
                return 200, self.send(cmd)
            if path == "/_control/resolve":
                return 200, self.resolve(cmd["acct"])
            if path == "/_control/fetch":
                signer = self.actor(cmd["as"]) if cmd.get("as") else None
                status, doc, headers = fc.signed_get(cmd["url"], signer, cmd.get("accept", fc.AP_ACCEPT))
                return 200, {"status": status, "body": doc, "content_type": headers.get("Content-Type", "")}
            if path == "/_control/note_chain":
                return 200, self.note_chain(cmd["depth"], cmd["in_reply_to"], cmd.get("prefix", "chain"))
            return 404, {"error": f"no control {path}"}
        except Exception as e:  # reported to the test, which fails with it
            fc.log(f"control {path} failed: {type(e).__name__}: {e}")
            return 500, {"error": f"{type(e).__name__}: {e}"}


def main():
    names = sys.argv[1:] or ["alice", "bob"]
    fake = FakeMastodon(names)
    fake.host.start()
    print(json.dumps({"base": fake.host.base, "host": fake.host.host,
                      "actors": {n: a.id for n, a in fake.host.actors.items()}}), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
