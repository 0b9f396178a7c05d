'use strict';
// Written by otnsim for the bot it starts (NODE_OPTIONS=--require this file).
// Node 20's https module and fetch ignore HTTPS_PROXY; this sends both
// through otnsim's proxy with Node's built-in modules only. Hosts in
// NO_PROXY (loopback, where fakegraph and the bot listen) go direct.
const http = require('http');
const https = require('https');
const tls = require('tls');

const proxyURL = process.env.OTNSIM_PROXY_URL || process.env.HTTPS_PROXY || process.env.https_proxy;

function bypassed(host) {
  host = String(host || '').replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  if (host === 'localhost' || host === '::1' || /^127\./.test(host)) return true;
  const list = (process.env.NO_PROXY || process.env.no_proxy || '').split(',');
  return list.some((entry) => {
    entry = entry.trim().toLowerCase().replace(/:\d+$/, '');
    if (!entry) return false;
    if (entry === '*') return true;
    entry = entry.replace(/^\*?\./, '');
    return host === entry || host.endsWith('.' + entry);
  });
}

// tunnel opens CONNECT host:port through the proxy and calls back with the
// raw socket, or an error that carries the proxy's answer.
function tunnel(host, port, callback) {
  const proxy = new URL(proxyURL);
  const target = (host.includes(':') ? '[' + host + ']' : host) + ':' + port;
  const req = http.request({
    host: proxy.hostname, port: proxy.port || 80, method: 'CONNECT', path: target,
    headers: { host: target }, agent: false,
  });
  let done = false;
  const finish = (err, socket) => { if (!done) { done = true; callback(err, socket); } };
  req.once('connect', (res, socket, head) => {
    if (res.statusCode !== 200) {
      let body = head.toString();
      socket.on('data', (d) => { body += d; });
      const fail = () => finish(new Error('proxy refused CONNECT ' + target + ': HTTP ' + res.statusCode + ' ' + body.trim()));
      socket.once('end', fail);
      socket.once('close', fail);
      socket.once('error', fail);
      return;
    }
    if (head.length) socket.unshift(head);
    finish(null, socket);
  });
  req.once('error', (err) => finish(err));
  req.end();
}

// secure starts TLS on a tunnelled socket, checked against Node's trust
// store (NODE_EXTRA_CA_CERTS adds otnsim's authority to it).
function secure(socket, options, callback) {
  const servername = options.servername || (tls.isIP(options.host) ? undefined : options.host);
  const tlsSocket = tls.connect({ ...options, socket, servername, ALPNProtocols: ['http/1.1'] });
  let done = false;
  tlsSocket.once('secureConnect', () => { if (!done) { done = true; callback(null, tlsSocket); } });
  tlsSocket.once('error', (err) => { if (!done) { done = true; callback(err); } });
}

if (proxyURL) {
  // The https module: an agent whose connections are tunnels.
  class TunnelAgent extends https.Agent {
    createConnection(options, callback) {
      const host = options.host || options.hostname || 'localhost';
      const port = options.port || 443;
      if (bypassed(host)) return super.createConnection(options, callback);
      tunnel(host, port, (err, socket) => {
        if (err) return callback(err);
        secure(socket, { ...options, host }, callback);
      });
      return undefined;
    }
  }
  https.globalAgent = new TunnelAgent({ keepAlive: true });

  // fetch: Node's bundled undici sets its global dispatcher (an Agent)
  // under this symbol when it loads, which touching Headers does; its
  // Agent takes a connect function.
  try {
    const key = Symbol.for('undici.globalDispatcher.1');
    void globalThis.Headers;
    const current = globalThis[key];
    const Agent = current && current.constructor;
    if (typeof Agent === 'function') {
      const tunnelled = new Agent({
        connect(opts, callback) {
          const host = opts.hostname;
          const secured = opts.protocol === 'https:';
          const port = opts.port || (secured ? 443 : 80);
          tunnel(host, port, (err, socket) => {
            if (err) return callback(err);
            if (!secured) return callback(null, socket);
            secure(socket, { host, servername: opts.servername || host }, callback);
          });
        },
      });
      class Router extends Agent {
        dispatch(opts, handler) {
          const origin = new URL(String(opts.origin));
          return bypassed(origin.hostname) ? super.dispatch(opts, handler) : tunnelled.dispatch(opts, handler);
        }
      }
      globalThis[key] = new Router();
    }
  } catch (err) {
    process.emitWarning('otnsim: cannot route fetch through the proxy: ' + err.message);
  }
}
