"""Shared pieces of the federation test clients: RSA keys, Mastodon-shaped
actors, HTTP Signatures made and checked by independent libraries, and a small
threaded HTTP server that plays a fediverse host on 127.0.0.1.

Signing and verifying is done only through third-party implementations:
- draft-cavage-12 `Signature` (Mastodon's and PeerTube's format): `httpsig`
  (HeaderSigner / HeaderVerifier);
- RFC 9421 `Signature-Input` / `Signature` with RFC 9530 `Content-Digest`:
  `http_message_signatures` (HTTPMessageSigner / HTTPMessageVerifier).

Needs the venv tests/.venv made by `bash scripts/setup.sh` (pinned in
tests/requirements.txt); run the scripts with tests/.venv/bin/python.
"""
import base64
import datetime
import email.utils
import hashlib
import json
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    import httpsig
    import http_message_signatures as hms
    import requests
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
except ImportError as missing:  # pragma: no cover - environment check
    sys.stderr.write(
        f"federation test clients need the venv tests/.venv ({missing}); "
        "run `bash scripts/setup.sh` and start this script with tests/.venv/bin/python\n"
    )
    sys.exit(3)

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AP_JSON = "application/activity+json"
# What Mastodon sends as Accept when it fetches ActivityPub documents.
AP_ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
# Mastodon's signed headers on a POST (app/lib/request.rb signs every header it sets).
CAVAGE_POST_HEADERS = ["(request-target)", "host", "date", "digest", "content-type"]
CAVAGE_GET_HEADERS = ["(request-target)", "host", "date", "accept"]
# Longest a test client waits on Shoal.
HTTP_TIMEOUT = 15


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


class Keypair:
    """An RSA key (2048 bits unless told) made with `cryptography`: PKCS#8 and SPKI PEMs."""

    def __init__(self, bits=2048):
        self.bits = bits
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        self.private_pem = self.private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        self.public_pem = (
            self.private.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )


class LocalActor:
    """A Mastodon account on the fake host: `{base}/users/{name}`."""

    def __init__(self, base, name):
        self.base, self.name = base, name
        self.id = f"{base}/users/{name}"
        self.key_id = f"{self.id}#main-key"
        self.inbox = f"{self.id}/inbox"
        self.keys = Keypair()

    @property
    def host(self):
        return urllib.parse.urlsplit(self.base).netloc

    def document(self):
        """The actor as Mastodon 4 serves it (trimmed of media and featured tags)."""
        return {
            "@context": [
                AS_CONTEXT,
                "https://w3id.org/security/v1",
                {
                    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
                    "toot": "http://joinmastodon.org/ns#",
                    "discoverable": "toot:discoverable",
                    "indexable": "toot:indexable",
                },
            ],
            "id": self.id,
            "type": "Person",
            "following": f"{self.id}/following",
            "followers": f"{self.id}/followers",
            "inbox": self.inbox,
            "outbox": f"{self.id}/outbox",
            "featured": f"{self.id}/collections/featured",
            "preferredUsername": self.name,
            "name": self.name.capitalize(),
            "summary": "<p>A fake Mastodon account for Shoal's federation tests</p>",
            "url": f"{self.base}/@{self.name}",
            "manuallyApprovesFollowers": False,
            "discoverable": True,
            "indexable": False,
            "published": "2024-01-01T00:00:00Z",
            "publicKey": {"id": self.key_id, "owner": self.id, "publicKeyPem": self.keys.public_pem},
            "endpoints": {"sharedInbox": f"{self.base}/inbox"},
        }


def http_date(offset_secs=0):
    return email.utils.formatdate(time.time() + offset_secs, usegmt=True)


def digest_header(body):
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def target_of(url):
    parts = urllib.parse.urlsplit(url)
    return parts.netloc, (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def sign_cavage(method, url, headers, actor_key_id, private_pem, algorithm="rsa-sha256", names=None):
    """Adds `Signature` (draft-cavage-12) with httpsig.HeaderSigner. `hs2019` is the
    same RSASSA-PKCS1-v1_5 SHA-256 signature under the newer label (httpsig 1.3
    predates the label, so it signs as rsa-sha256 and the label is swapped)."""
    host, path = target_of(url)
    names = names or (CAVAGE_POST_HEADERS if method.upper() == "POST" else CAVAGE_GET_HEADERS)
    names = [n for n in names if n in ("(request-target)", "host") or n in {k.lower() for k in headers}]
    signer = httpsig.HeaderSigner(actor_key_id, private_pem, algorithm="rsa-sha256", headers=names, sign_header="signature")
    signed = signer.sign(dict(headers), host=host, method=method.upper(), path=path)
    value = signed["signature"]
    if algorithm == "hs2019":
        value = value.replace('algorithm="rsa-sha256"', 'algorithm="hs2019"')
    elif algorithm != "rsa-sha256":
        raise ValueError(f"unknown cavage algorithm {algorithm}")
    headers["Signature"] = value
    return headers


class _Message:
    """The request shape http_message_signatures resolves components from."""

    def __init__(self, method, url, headers):
        self.method, self.url, self.headers = method.upper(), url, headers


def sign_rfc9421(method, url, headers, body, key_id, private_key):
    """Adds `Content-Digest`, `Signature-Input` and `Signature` (RFC 9421,
    rsa-v1_5-sha256) with http_message_signatures.HTTPMessageSigner."""
    resolver = hms.MappingKeyResolver(public_keys={}, private_keys={key_id: private_key})
    signer = hms.HTTPMessageSigner(signature_algorithm=hms.algorithms.RSA_V1_5_SHA256, key_resolver=resolver)
    message = _Message(method, url, headers)
    covered = ["@method", "@target-uri", "content-type"] if body is not None else ["@method", "@target-uri"]
    signer.sign(message, key_id=key_id, label="sig1", covered_component_ids=covered, body=body)
    return message.headers


def post_signed(url, body, signer, cmd, user_agent, cavage_headers=None, extra_headers=None):
    """Signs `body` (bytes) as `cmd` says and POSTs it: `sign` rsa-sha256 (default) |
    hs2019 | rfc9421 | none, `date_offset_secs`, `tamper` signature | digest.
    `signer` has `key_id` and `keys`. Returns {status, body, content_type}."""
    headers = {
        "Date": http_date(int(cmd.get("date_offset_secs", 0))),
        "Content-Type": AP_JSON,
        "User-Agent": user_agent,
        **(extra_headers or {}),
    }
    sign = cmd.get("sign", "rsa-sha256")
    if sign in ("rsa-sha256", "hs2019"):
        headers["Digest"] = digest_header(body)
        sign_cavage("POST", url, headers, signer.key_id, signer.keys.private_pem, algorithm=sign, names=cavage_headers)
    elif sign == "rfc9421":
        sign_rfc9421("POST", url, headers, body, signer.key_id, signer.keys.private)
    elif sign != "none":
        raise ValueError(f"unknown signing {sign!r}")
    tamper = cmd.get("tamper")
    if tamper == "digest":
        tampered = digest_header(body + b" ")
        if "Digest" in headers:
            headers["Digest"] = tampered
        else:
            headers["Content-Digest"] = "sha-256=:" + tampered.partition("=")[2] + ":"
    elif tamper == "signature":
        value = headers["Signature"]
        # Flip one base64 character inside the signature value.
        at = value.rindex("signature=") + len('signature="') + 10 if sign != "rfc9421" else value.index(":") + 10
        flipped = "A" if value[at] != "A" else "B"
        headers["Signature"] = value[:at] + flipped + value[at + 1:]
    elif tamper:
        raise ValueError(f"unknown tamper {tamper!r}")
    try:
        resp = requests.post(url, data=body, headers=headers, timeout=HTTP_TIMEOUT)
    except requests.exceptions.ConnectionError as e:
        # e.g. the server closed the connection before reading an oversized body
        return {"status": 0, "body": f"connection error: {e}", "content_type": ""}
    return {"status": resp.status_code, "body": resp.text, "content_type": resp.headers.get("Content-Type", "")}


class KeyFetcher:
    """Fetches (and caches) the public key behind a keyId: the actor at the
    keyId without its fragment, `publicKey.publicKeyPem` whose `id` is the keyId."""

    def __init__(self, signer=None):
        self.cache, self.signer, self.lock = {}, signer, threading.Lock()

    def fetch(self, key_id):
        with self.lock:
            if key_id in self.cache:
                return self.cache[key_id]
        url = key_id.split("#", 1)[0]
        status, doc, _ = signed_get(url, self.signer)
        if status != 200 or not isinstance(doc, dict):
            raise ValueError(f"GET {url} for key {key_id}: {status} {doc}")
        key = doc.get("publicKey")
        if isinstance(key, list):
            key = next((k for k in key if k.get("id") == key_id), None)
        if not isinstance(key, dict) or key.get("id") != key_id or "publicKeyPem" not in key:
            raise ValueError(f"{url} has no publicKey {key_id}: {doc}")
        found = (key["publicKeyPem"], key.get("owner"), doc.get("id"))
        with self.lock:
            self.cache[key_id] = found
        return found


def signed_get(url, signer=None, accept=AP_ACCEPT, user_agent="fake-mastodon (shoal tests)", names=None):
    """GET as Mastodon does it (signed with cavage when `signer` is a LocalActor).
    Returns (status, json-or-text, headers)."""
    headers = {"Accept": accept, "Date": http_date(), "User-Agent": user_agent}
    if signer is not None:
        sign_cavage("GET", url, headers, signer.key_id, signer.keys.private_pem, names=names)
    resp = requests.get(url, headers=headers, timeout=HTTP_TIMEOUT, allow_redirects=False)
    try:
        body = resp.json()
    except ValueError:
        body = resp.text
    return resp.status_code, body, dict(resp.headers)


def verify_request(method, url, headers, body, fetcher):
    """Checks an incoming signed request with the independent libraries.
    Returns a dict: scheme, ok, key_id, key_owner, error, digest_ok, date_ok."""
    lower = {k.lower(): v for k, v in headers.items()}
    result = {"scheme": None, "ok": False, "key_id": None, "key_owner": None, "error": None}
    try:
        if "signature-input" in lower:
            result["scheme"] = "rfc9421"
            _verify_rfc9421(method, url, headers, body, fetcher, result)
        elif "signature" in lower:
            _verify_cavage(method, url, lower, body, fetcher, result)
        else:
            result["error"] = "unsigned"
    except Exception as e:  # the report says what failed; the test asserts on it
        result["ok"] = False
        result["error"] = f"{type(e).__name__}: {e}"
    return result


def _verify_cavage(method, url, lower, body, fetcher, result):
    params = httpsig.utils.parse_signature_header(lower["signature"])
    algorithm = params.get("algorithm", "rsa-sha256")
    result["scheme"] = f"cavage-{algorithm}"
    result["key_id"] = params["keyid"]
    pem, owner, _ = fetcher.fetch(params["keyid"])
    result["key_owner"] = owner
    headers = dict(lower)
    signature_value = lower["signature"]
    if algorithm.lower() == "hs2019":
        # httpsig 1.3 knows the RSA algorithm by its old name; hs2019 with an RSA
        # key is RSASSA-PKCS1-v1_5 SHA-256 (as Mastodon reads it). (created) and
        # (expires) are pseudo-headers whose values come from the parameters.
        signature_value = signature_value.replace(f'algorithm="{params["algorithm"]}"', 'algorithm="rsa-sha256"')
        for pseudo in ("created", "expires"):
            if pseudo in params:
                headers[f"({pseudo})"] = params[pseudo]
    headers["signature"] = signature_value
    host, path = target_of(url)
    required = ["(request-target)", "host", "date"] + (["digest"] if method.upper() == "POST" else [])
    verifier = httpsig.HeaderVerifier(
        headers, pem, required_headers=required, method=method.upper(), path=path, host=lower.get("host", host),
        sign_header="signature",
    )
    signature_ok = bool(verifier.verify())
    result["date_ok"] = _date_fresh(lower.get("date"))
    result["digest_ok"] = True
    if method.upper() == "POST":
        algo, _, value = lower.get("digest", "").partition("=")
        result["digest_ok"] = algo.lower() == "sha-256" and value == digest_header(body).partition("=")[2]
    result["ok"] = signature_ok and result["date_ok"] and result["digest_ok"]
    if not signature_ok:
        result["error"] = "httpsig.HeaderVerifier: signature does not verify"
    elif not result["ok"]:
        result["error"] = f"digest ok {result['digest_ok']}, date ok {result['date_ok']}"


class _FetchingResolver(hms.HTTPSignatureKeyResolver):
    def __init__(self, fetcher, result):
        self.fetcher, self.result = fetcher, result

    def resolve_public_key(self, key_id):
        pem, owner, _ = self.fetcher.fetch(key_id)
        self.result["key_id"], self.result["key_owner"] = key_id, owner
        return pem.encode()


def _verify_rfc9421(method, url, headers, body, fetcher, result):
    verifier = hms.HTTPMessageVerifier(
        signature_algorithm=hms.algorithms.RSA_V1_5_SHA256, key_resolver=_FetchingResolver(fetcher, result)
    )
    verifier.max_clock_skew = datetime.timedelta(seconds=60)
    message = _Message(method, url, dict(headers))
    verified = verifier.verify(
        message, max_age=datetime.timedelta(hours=1), body=body if method.upper() == "POST" else None,
        require_components=["@method"],
    )
    result["ok"] = len(verified) == 1
    result["covered"] = list(verified[0].covered_components) if verified else []


def _date_fresh(value, window=3600):
    if not value:
        return False
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return False
    return abs(time.time() - when) <= window


class FakeHost:
    """A fediverse host on 127.0.0.1: actors, WebFinger, NodeInfo, stored objects
    served at their ids, inboxes that record and verify what arrives, and a
    hook for extra routes (`control(handler, method, path, body)` returning
    `(status, json)` or None)."""

    def __init__(self, names, software="mastodon", control=None, on_delivery=None, actors=None):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.host = self
        port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{port}"
        # `actors(base)` makes other actor kinds (with id, name, key_id, keys, inbox, document()).
        self.actors = actors(self.base) if actors else {name: LocalActor(self.base, name) for name in names}
        self.objects = {}
        self.deliveries, self.requests = [], []
        # PeerTube 8.0 mode: inbox POSTs signed RFC 9421 get 403 (it parses draft-cavage
        # only) and are recorded in `refused`, not in `deliveries`.
        self.refuse_rfc9421 = False
        self.refused = []
        self.lock = threading.Lock()
        self.software = software
        self.control = control
        self.on_delivery = on_delivery
        # Keys are fetched with a signed GET as the first actor (authorized fetch works).
        self.fetcher = KeyFetcher(signer=next(iter(self.actors.values())))

    @property
    def host(self):
        return urllib.parse.urlsplit(self.base).netloc

    def start(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def store(self, doc):
        with self.lock:
            self.objects[doc["id"]] = doc

    def document_at(self, url):
        url = url.split("#", 1)[0].split("?", 1)[0]
        for actor in self.actors.values():
            if url == actor.id:
                return actor.document()
            for coll in ("followers", "following", "outbox", "collections/featured"):
                if url == f"{actor.id}/{coll}":
                    return {"@context": AS_CONTEXT, "id": url, "type": "OrderedCollection", "totalItems": 0,
                            "orderedItems": []}
        with self.lock:
            return self.objects.get(url)

    def webfinger(self, resource):
        name, _, domain = resource.removeprefix("acct:").partition("@")
        actor = self.actors.get(name)
        if actor is None or domain != self.host:
            return None
        return {
            "subject": f"acct:{name}@{self.host}",
            "aliases": [f"{self.base}/@{name}", actor.id],
            "links": [
                {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": f"{self.base}/@{name}"},
                {"rel": "self", "type": AP_JSON, "href": actor.id},
            ],
        }

    def nodeinfo(self, path):
        if path == "/.well-known/nodeinfo":
            return {"links": [{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
                               "href": f"{self.base}/nodeinfo/2.0"}]}
        if path == "/nodeinfo/2.0":
            return {"version": "2.0", "software": {"name": self.software, "version": "4.3.0"},
                    "protocols": ["activitypub"], "services": {"inbound": [], "outbound": []},
                    "usage": {"users": {"total": len(self.actors)}, "localPosts": 0},
                    "openRegistrations": False, "metadata": {}}
        return None

    def record_delivery(self, path, headers, body):
        """Records an inbox POST, then verifies its signature (after answering)."""
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
        entry = {"path": path, "headers": headers, "body": body.decode("utf-8", "replace"), "activity": doc,
                 "received_at": time.time(), "verification": None}
        with self.lock:
            self.deliveries.append(entry)
        return entry

    def verify_delivery(self, entry, body):
        verification = verify_request("POST", self.base + entry["path"], entry["headers"], body, self.fetcher)
        activity = entry["activity"] if isinstance(entry["activity"], dict) else {}
        verification["owner_is_actor"] = verification.get("key_owner") is not None and \
            verification.get("key_owner") == activity.get("actor")
        with self.lock:
            entry["verification"] = verification
        if self.on_delivery is not None:
            self.on_delivery(entry)

    def inbox_paths(self):
        return {"/inbox"} | {urllib.parse.urlsplit(a.inbox).path for a in self.actors.values()}

    def receive(self, handler, path, headers, body):
        """An inbox POST: records it, answers 202, then verifies its signature. A
        subclass may verify first and answer otherwise (see fake_peertube.py)."""
        if self.refuse_rfc9421 and "signature-input" in {k.lower() for k in headers}:
            with self.lock:
                self.refused.append({"path": path, "scheme": "rfc9421", "status": 403, "body": body.decode(
                    "utf-8", "replace"), "at": time.time()})
            return handler._reply(403, {"status": 403, "detail": "ActivityPub signature could not be checked"})
        entry = self.record_delivery(path, headers, body)
        handler._reply(202, b"", "text/plain")
        self.verify_delivery(entry, body)

    def snapshot(self):
        with self.lock:
            return [dict(d) for d in self.deliveries], list(self.requests)

    def refused_snapshot(self):
        with self.lock:
            return list(self.refused)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        log(f"fake host: {self.command} {self.path} -> {fmt % args}")

    def _reply(self, status, doc, content_type="application/json"):
        body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        host = self.server.host
        parts = urllib.parse.urlsplit(self.path)
        if not parts.path.startswith("/_control/"):
            with host.lock:
                host.requests.append({"method": "GET", "path": self.path, "signed": "signature" in
                                      {k.lower() for k in self.headers.keys()}, "at": time.time()})
        if host.control:
            answer = host.control(self, "GET", parts.path, None)
            if answer is not None:
                return self._reply(*answer)
        if parts.path == "/.well-known/webfinger":
            query = urllib.parse.parse_qs(parts.query)
            jrd = host.webfinger(query.get("resource", [""])[0])
            return self._reply(200, jrd, "application/jrd+json") if jrd else self._reply(404, {"error": "not found"})
        info = host.nodeinfo(parts.path)
        if info is not None:
            return self._reply(200, info)
        doc = host.document_at(host.base + parts.path + (f"?{parts.query}" if parts.query else ""))
        if doc is None:
            return self._reply(404, {"error": "Record not found"})
        return self._reply(200, doc, AP_JSON + "; charset=utf-8")

    def do_POST(self):
        host = self.server.host
        parts = urllib.parse.urlsplit(self.path)
        body = self._body()
        if host.control:
            answer = host.control(self, "POST", parts.path, body)
            if answer is not None:
                return self._reply(*answer)
        if parts.path not in host.inbox_paths():
            return self._reply(404, {"error": "not found"})
        host.receive(self, self.path, {k: v for k, v in self.headers.items()}, body)
