#!/usr/bin/env python3
"""A small Messenger OTN bot that speaks otnsim's external bot contract.

Standard library only. otnsim starts it with the contract's environment:
OTNSIM_GRAPH_URL, OTNSIM_PAGE_ID, OTNSIM_PAGE_ACCESS_TOKEN, OTNSIM_APP_SECRET,
OTNSIM_VERIFY_TOKEN and PORT. Check it with:

    otnsim check --bot-cmd "python3 examples/python-bot/bot.py"
"""

import hashlib
import hmac
import json
import os
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GRAPH_URL = os.environ["OTNSIM_GRAPH_URL"].rstrip("/")
PAGE_TOKEN = os.environ["OTNSIM_PAGE_ACCESS_TOKEN"]
APP_SECRET = os.environ["OTNSIM_APP_SECRET"].encode()
VERIFY_TOKEN = os.environ["OTNSIM_VERIFY_TOKEN"]
PORT = int(os.environ["PORT"])

WINDOW = timedelta(hours=24)
IDLE = timedelta(minutes=5)
TOKEN_LIFETIME = timedelta(days=365)
MAX_BODY = 1 << 20
MAX_TITLE = 65
PER_DAY = 3  # OTN requests to one person in 24 hours, at most
CODE_REGION = 10  # OTN unavailable in this thread (Europe, Japan)
CODE_AWAY = 551  # this person cannot be reached until they write again


class Person:
    def __init__(self):
        self.last_active = None  # last message or postback
        self.tokens = {}  # topic -> [(token, issued_at)], oldest first
        self.pending = {}  # topic -> text waiting until the person is idle
        self.asked = {}  # topic -> when we last sent an OTN request
        self.requests = []  # when we sent OTN requests, for the daily cap
        self.no_otn = False  # Meta refused OTN in this thread
        self.away = False  # Meta said they cannot be reached (551)
        # recurring notifications (notification_messages), OTN's successor
        self.rn_tokens = {}  # topic -> {"token", "expires", "stopped", "last"}
        self.rn_asked = {}  # title -> when Meta accepted our request

    def window_open(self, now):
        # A time ahead of now belongs to an earlier scenario: each scenario
        # starts at its own virtual time, so time may go backwards.
        return self.last_active is not None and self.last_active <= now < self.last_active + WINDOW

    def sent(self, code):
        if code == CODE_AWAY:
            self.away = True


LOCK = threading.Lock()
PEOPLE = {}
SEEN = set()  # hashes of webhook bodies already processed (Meta retries)


def person(psid):
    return PEOPLE.setdefault(psid, Person())


def parse_now(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def from_ms(ms):
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def send(message):
    """Posts one Send API call; a refusal is logged and its Graph error code
    returned (0 when the call went through)."""
    url = GRAPH_URL + "/v19.0/me/messages?access_token=" + urllib.parse.quote(PAGE_TOKEN)
    req = urllib.request.Request(url, data=json.dumps(message).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            resp.read()
        return 0
    except urllib.error.HTTPError as err:
        answer = err.read().decode(errors="replace")
        print("send refused:", err.code, answer, file=sys.stderr)
        try:
            return json.loads(answer)["error"]["code"]
        except (ValueError, KeyError, TypeError):
            return -1


def text_to(psid, text):
    PEOPLE[psid].sent(send({"recipient": {"id": psid}, "messaging_type": "UPDATE", "message": {"text": text}}))


def request_otn(now, psid, topic, title):
    p = person(psid)
    if not p.window_open(now) or p.no_otn or p.away:
        return  # only inside the 24-hour window, where OTN works, to someone reachable
    last = p.asked.get(topic)
    if last is not None and now - last < timedelta(hours=1):
        return  # no bursts for one topic
    p.requests = [t for t in p.requests if t <= now < t + WINDOW]
    if len(p.requests) >= PER_DAY:
        return  # nor more than PER_DAY requests a day
    title = title or "Get notified"
    if len(title) > MAX_TITLE:
        return  # Meta would refuse it: skip, never truncate
    p.asked[topic] = now
    p.requests.append(now)
    code = send({"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": {"attachment": {
        "type": "template",
        "payload": {"template_type": "one_time_notif_req", "title": title, "payload": topic}}}})
    if code == CODE_REGION:
        p.no_otn = True


def notify(now, psid, topic, text):
    p = PEOPLE[psid]
    if p.away:
        return
    if p.last_active is not None and now - p.last_active < IDLE:
        p.pending[topic] = text  # do not interrupt; the next tick delivers it
        return
    if p.window_open(now):
        text_to(psid, text)  # a normal message; the token is kept
        return
    tokens = [t for t in p.tokens.get(topic, []) if now < t[1] + TOKEN_LIFETIME]
    if not tokens:
        p.tokens[topic] = []
        return
    token, _ = tokens.pop(0)  # oldest first, and never again
    p.tokens[topic] = tokens
    p.sent(send({"recipient": {"one_time_notif_token": token}, "message": {"text": text}}))


RN_DEPRECATED = datetime(2026, 2, 10, tzinfo=timezone.utc)  # Meta deprecated them then
RN_48H_FROM = datetime(2025, 9, 1, tzinfo=timezone.utc)  # the cooldown went from 24 to 48 hours


def request_recurring(now, psid, topic, title):
    p = person(psid)
    title = title or "Updates and promotions"
    if now >= RN_DEPRECATED or not p.window_open(now) or p.away or len(title) > MAX_TITLE:
        return
    recent = {t: at for t, at in p.rn_asked.items() if at <= now < at + timedelta(days=7)}
    p.rn_asked = recent
    if title in recent or len(recent) >= 5:
        return  # one request per title a week, and only a few
    code = send({"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": {"attachment": {
        "type": "template",
        "payload": {"template_type": "notification_messages", "title": title, "payload": topic}}}})
    if code == 0:
        p.rn_asked[title] = now
    p.sent(code)


def notify_recurring(now, topic, text):
    if now >= RN_DEPRECATED:
        return
    cooldown = timedelta(hours=48 if now >= RN_48H_FROM else 24)
    for psid in sorted(PEOPLE):
        t = PEOPLE[psid].rn_tokens.get(topic)
        if not t or t["stopped"] or now >= t["expires"]:
            continue
        if t["last"] is not None and t["last"] <= now < t["last"] + cooldown:
            continue
        if send({"recipient": {"notification_messages_token": t["token"]}, "message": {"text": text}}) == 0:
            t["last"] = now


def on_recurring_optin(p, optin):
    topic, status = optin.get("payload", ""), optin.get("notification_messages_status", "").replace("_", " ")
    t = p.rn_tokens.get(topic)
    if status.startswith("STOP") or status.startswith("RESUME"):
        if t:
            t["stopped"] = status.startswith("STOP")
    elif optin.get("notification_messages_token"):
        if not t or t["token"] != optin["notification_messages_token"]:
            t = p.rn_tokens[topic] = {"token": optin["notification_messages_token"], "last": None}
        t["expires"], t["stopped"] = from_ms(optin.get("token_expiry_timestamp", 0)), False


def on_trigger(body):
    name, data = body.get("trigger"), body.get("data") or {}
    now = parse_now(body["now"])  # virtual time: never read the wall clock
    if name == "otn.request":
        request_otn(now, data["psid"], data["topic"], data.get("title"))
    elif name == "otn.notify":
        for psid in sorted(PEOPLE):
            if PEOPLE[psid].tokens.get(data["topic"]):
                notify(now, psid, data["topic"], data["text"])
    elif name == "recurring.request":
        request_recurring(now, data["psid"], data["topic"], data.get("title"))
    elif name == "recurring.notify":
        notify_recurring(now, data["topic"], data["text"])
    elif name == "broadcast":
        for psid in sorted(PEOPLE):
            if PEOPLE[psid].window_open(now) and not PEOPLE[psid].away:
                text_to(psid, data["text"])
    elif name == "tick":
        for psid in sorted(PEOPLE):
            p = PEOPLE[psid]
            for topic in sorted(p.pending):
                notify(now, psid, topic, p.pending.pop(topic))
    else:
        return False
    return True


def on_event(body):
    for entry in body.get("entry", []):
        for ev in entry.get("messaging", []):
            psid, at = ev["sender"]["id"], from_ms(ev["timestamp"])
            p = person(psid)
            if "message" in ev or "postback" in ev:
                if p.last_active is None or at > p.last_active:
                    p.last_active = at
                p.away = False  # they wrote, so they are reachable again
            optin = ev.get("optin") or {}
            if optin.get("type") == "notification_messages":
                on_recurring_optin(p, optin)
            if optin.get("type") == "one_time_notif_req" and optin.get("one_time_notif_token"):
                p.tokens.setdefault(optin["payload"], []).append((optin["one_time_notif_token"], at))


class Handler(BaseHTTPRequestHandler):
    def answer(self, status, text=""):
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(url.query)
        if (url.path == "/webhook" and q.get("hub.mode") == ["subscribe"]
                and q.get("hub.verify_token") == [VERIFY_TOKEN]):
            self.answer(200, q.get("hub.challenge", [""])[0])
        else:
            self.answer(403, "forbidden")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            self.answer(413, "too large")
            return
        raw = self.rfile.read(length)
        path = urllib.parse.urlparse(self.path).path
        if path == "/webhook":
            want = "sha256=" + hmac.new(APP_SECRET, raw, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(self.headers.get("X-Hub-Signature-256", ""), want):
                self.answer(403, "bad signature")
                return
            digest = hashlib.sha256(raw).hexdigest()
            with LOCK:
                if digest not in SEEN:
                    SEEN.add(digest)
                    on_event(json.loads(raw))
            self.answer(200, "EVENT_RECEIVED")
        elif path == "/otnsim/trigger":
            with LOCK:
                ok = on_trigger(json.loads(raw))
            self.answer(200 if ok else 400, '{"ok":true}' if ok else "unknown trigger")
        else:
            self.answer(404, "not found")

    def log_message(self, fmt, *args):
        pass  # quiet: otnsim shows the bot's output only when something breaks


if __name__ == "__main__":
    print("python-bot listening on port", PORT, flush=True)
    ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
