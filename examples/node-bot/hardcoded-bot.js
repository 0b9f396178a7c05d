#!/usr/bin/env node
// A Messenger OTN bot as many are written: it posts to Meta's real Graph API
// at a URL in its source, and knows nothing of otnsim's OTNSIM_GRAPH_URL.
// It reads the page's credentials and its port from the environment (the
// external bot contract's names), and needs nothing but Node.js (18 or later).
// otnsim judges it unmodified by intercepting its calls:
//
//     otnsim check --intercept --bot-cmd "node examples/node-bot/hardcoded-bot.js"
//
// Its Send API calls go through fetch, or through the https module with
// BOT_HTTP_CLIENT=https.
'use strict';

const crypto = require('crypto');
const http = require('http');
const https = require('https');

const GRAPH_API = 'https://graph.facebook.com/v19.0'; // Meta's, hard-coded
const PAGE_TOKEN = process.env.OTNSIM_PAGE_ACCESS_TOKEN;
const APP_SECRET = process.env.OTNSIM_APP_SECRET;
const VERIFY_TOKEN = process.env.OTNSIM_VERIFY_TOKEN;
const PORT = Number(process.env.PORT || 3000);
const CLIENT = process.env.BOT_HTTP_CLIENT === 'https' ? 'https' : 'fetch';

const HOUR = 3600e3;
const WINDOW = 24 * HOUR;
const IDLE = 5 * 60e3;
const TOKEN_LIFETIME = 365 * 24 * HOUR;
const WEEK = 7 * 24 * HOUR;
const MAX_BODY = 1 << 20;
const MAX_TITLE = 65;
const PER_DAY = 3; // OTN requests to one person in 24 hours, at most
const CODE_REGION = 10; // OTN unavailable in this thread (Europe, Japan)
const CODE_AWAY = 551; // this person cannot be reached until they write again
const RN_DEPRECATED = Date.parse('2026-02-10T00:00:00Z'); // recurring notifications' end
const RN_48H_FROM = Date.parse('2025-09-01T00:00:00Z'); // their cooldown went from 24 to 48 hours

const people = new Map(); // psid -> person
const seen = new Set(); // hashes of webhook bodies already processed (Meta retries)

function person(psid) {
  if (!people.has(psid)) {
    people.set(psid, {
      lastActive: null, tokens: {}, pending: {}, asked: {}, requests: [],
      noOTN: false, away: false, rnTokens: {}, rnAsked: {},
    });
  }
  return people.get(psid);
}

// Scenarios start at their own virtual time, so time may go backwards: a
// last action ahead of now belongs to an earlier one.
function windowOpen(p, now) {
  return p.lastActive !== null && p.lastActive <= now && now < p.lastActive + WINDOW;
}

function sortedPSIDs() { return [...people.keys()].sort(); }

// post sends one Send API call and resolves to its status and body.
function post(url, body) {
  if (CLIENT === 'fetch') {
    return fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })
      .then(async (res) => ({ status: res.status, text: await res.text() }));
  }
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

// send posts one message; a refusal is logged and its Graph error code
// returned (0 when the call went through, -1 when it failed in transit).
async function send(message) {
  const url = GRAPH_API + '/me/messages?access_token=' + encodeURIComponent(PAGE_TOKEN);
  try {
    const { status, text } = await post(url, JSON.stringify(message));
    if (status === 200) return 0;
    console.error('send refused:', status, text);
    try { return JSON.parse(text).error.code; } catch (_) { return -1; }
  } catch (err) {
    console.error('send failed:', err.message, err.cause ? err.cause.message : '');
    return -1;
  }
}

function sent(p, code) { if (code === CODE_AWAY) p.away = true; }

async function textTo(psid, text) {
  sent(people.get(psid), await send({ recipient: { id: psid }, messaging_type: 'UPDATE', message: { text } }));
}

async function requestOTN(now, psid, topic, title) {
  const p = person(psid);
  if (!windowOpen(p, now) || p.noOTN || p.away) return;
  const last = p.asked[topic];
  if (last !== undefined && now - last < HOUR) return; // no bursts for one topic
  p.requests = p.requests.filter((t) => t <= now && now < t + WINDOW);
  if (p.requests.length >= PER_DAY) return;
  title = title || 'Get notified';
  if ([...title].length > MAX_TITLE) return; // Meta would refuse it: skip, never truncate
  p.asked[topic] = now;
  p.requests.push(now);
  const code = await send({ recipient: { id: psid }, messaging_type: 'RESPONSE', message: { attachment: {
    type: 'template', payload: { template_type: 'one_time_notif_req', title, payload: topic } } } });
  if (code === CODE_REGION) p.noOTN = true;
}

async function notify(now, psid, topic, text) {
  const p = people.get(psid);
  if (p.away) return;
  if (p.lastActive !== null && now - p.lastActive < IDLE) {
    p.pending[topic] = text; // do not interrupt; the next tick delivers it
    return;
  }
  if (windowOpen(p, now)) {
    await textTo(psid, text); // a normal message; the token is kept
    return;
  }
  const tokens = (p.tokens[topic] || []).filter((t) => now < t.at + TOKEN_LIFETIME);
  const t = tokens.shift(); // oldest first, and never again
  p.tokens[topic] = tokens;
  if (!t) return;
  sent(p, await send({ recipient: { one_time_notif_token: t.token }, message: { text } }));
}

async function requestRecurring(now, psid, topic, title) {
  const p = person(psid);
  title = title || 'Updates and promotions';
  if (now >= RN_DEPRECATED || !windowOpen(p, now) || p.away || [...title].length > MAX_TITLE) return;
  const recent = {};
  for (const [t, at] of Object.entries(p.rnAsked)) if (at <= now && now < at + WEEK) recent[t] = at;
  p.rnAsked = recent;
  if (title in recent || Object.keys(recent).length >= 5) return; // one request per title a week, and few
  const code = await send({ recipient: { id: psid }, messaging_type: 'RESPONSE', message: { attachment: {
    type: 'template', payload: { template_type: 'notification_messages', title, payload: topic } } } });
  if (code === 0) p.rnAsked[title] = now;
  sent(p, code);
}

async function notifyRecurring(now, topic, text) {
  if (now >= RN_DEPRECATED) return;
  const cooldown = (now >= RN_48H_FROM ? 48 : 24) * HOUR;
  for (const psid of sortedPSIDs()) {
    const t = people.get(psid).rnTokens[topic];
    if (!t || t.stopped || now >= t.expires) continue;
    if (t.last !== null && t.last <= now && now < t.last + cooldown) continue;
    if (await send({ recipient: { notification_messages_token: t.token }, message: { text } }) === 0) t.last = now;
  }
}

function onRecurringOptin(p, optin) {
  const topic = optin.payload || '';
  const status = (optin.notification_messages_status || '').replace(/_/g, ' ');
  let t = p.rnTokens[topic];
  if (status.startsWith('STOP') || status.startsWith('RESUME')) {
    if (t) t.stopped = status.startsWith('STOP');
  } else if (optin.notification_messages_token) {
    if (!t || t.token !== optin.notification_messages_token) {
      t = p.rnTokens[topic] = { token: optin.notification_messages_token, last: null };
    }
    t.expires = optin.token_expiry_timestamp || 0;
    t.stopped = false;
  }
}

// onTrigger acts on one of the harness's triggers; false for an unknown one.
async function onTrigger(body) {
  const data = body.data || {};
  const now = Date.parse(body.now); // virtual time: never read the wall clock
  switch (body.trigger) {
    case 'otn.request': await requestOTN(now, data.psid, data.topic, data.title); break;
    case 'otn.notify':
      for (const psid of sortedPSIDs()) {
        if ((people.get(psid).tokens[data.topic] || []).length) await notify(now, psid, data.topic, data.text);
      }
      break;
    case 'recurring.request': await requestRecurring(now, data.psid, data.topic, data.title); break;
    case 'recurring.notify': await notifyRecurring(now, data.topic, data.text); break;
    case 'broadcast':
      for (const psid of sortedPSIDs()) {
        const p = people.get(psid);
        if (windowOpen(p, now) && !p.away) await textTo(psid, data.text);
      }
      break;
    case 'tick':
      for (const psid of sortedPSIDs()) {
        const p = people.get(psid);
        for (const topic of Object.keys(p.pending).sort()) {
          const text = p.pending[topic];
          delete p.pending[topic];
          await notify(now, psid, topic, text);
        }
      }
      break;
    default: return false;
  }
  return true;
}

function onEvent(body) {
  for (const entry of body.entry || []) {
    for (const ev of entry.messaging || []) {
      const psid = ev.sender.id;
      const at = ev.timestamp;
      const p = person(psid);
      if (ev.message || ev.postback) {
        if (p.lastActive === null || at > p.lastActive) p.lastActive = at;
        p.away = false; // they wrote, so they are reachable again
      }
      const optin = ev.optin || {};
      if (optin.type === 'notification_messages') onRecurringOptin(p, optin);
      if (optin.type === 'one_time_notif_req' && optin.one_time_notif_token) {
        (p.tokens[optin.payload] = p.tokens[optin.payload] || []).push({ token: optin.one_time_notif_token, at });
      }
    }
  }
}

// Requests are handled one at a time, each answered once its calls are done.
let queue = Promise.resolve();
function serially(fn) {
  const run = queue.then(fn);
  queue = run.catch(() => {});
  return run;
}

function answer(res, status, text) {
  res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function signatureOK(raw, header) {
  const want = Buffer.from('sha256=' + crypto.createHmac('sha256', APP_SECRET).update(raw).digest('hex'));
  const got = Buffer.from(String(header || ''));
  return got.length === want.length && crypto.timingSafeEqual(got, want);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://bot');
  if (req.method === 'GET') {
    const q = url.searchParams;
    if (url.pathname === '/webhook' && q.get('hub.mode') === 'subscribe' && q.get('hub.verify_token') === VERIFY_TOKEN) {
      answer(res, 200, q.get('hub.challenge') || '');
    } else {
      answer(res, 403, 'forbidden');
    }
    return;
  }
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size > MAX_BODY) {
      res.setHeader('Connection', 'close');
      answer(res, 413, 'too large');
      req.destroy();
      return;
    }
    chunks.push(c);
  });
  req.on('end', () => {
    if (size > MAX_BODY) return;
    const raw = Buffer.concat(chunks);
    if (req.method === 'POST' && url.pathname === '/webhook') {
      if (!signatureOK(raw, req.headers['x-hub-signature-256'])) {
        answer(res, 403, 'bad signature');
        return;
      }
      const digest = crypto.createHash('sha256').update(raw).digest('hex');
      serially(() => {
        if (!seen.has(digest)) {
          seen.add(digest);
          onEvent(JSON.parse(raw));
        }
      }).then(() => answer(res, 200, 'EVENT_RECEIVED'), (err) => answer(res, 400, String(err)));
    } else if (req.method === 'POST' && url.pathname === '/otnsim/trigger') {
      serially(() => onTrigger(JSON.parse(raw))).then(
        (ok) => answer(res, ok ? 200 : 400, ok ? '{"ok":true}' : 'unknown trigger'),
        (err) => answer(res, 400, String(err)));
    } else {
      answer(res, 404, 'not found');
    }
  });
});

server.listen(PORT, '127.0.0.1', () => console.log('node bot listening on port', PORT, 'sending with', CLIENT, 'to', GRAPH_API));
