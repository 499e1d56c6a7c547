// A Telegram Bot API peer for tinhhinh's end-to-end tests.
//
// telegram-test-api 4.2.1 does the core work (it stores what users and the bot send, and
// serves the simulated user's client routes). This runner sits in front of it and fills the
// gaps it has with aiogram 3 and with the real Bot API:
//   - the package has no start script: this file starts it, on a free loopback port;
//   - getMe lacks is_bot; sendMessage results carry date in milliseconds and no `from`;
//     callback updates lack chat_instance; answerCallbackQuery, editMessageText and setWebhook
//     answer `result: null` where aiogram expects true: results are completed here;
//   - getUpdates ignores offset and timeout and marks updates read when delivered: here
//     updates stay queued until a later offset confirms them, and an empty poll waits;
//   - its webhook push sends no secret header and a non-2xx answer crashes Node 20: webhooks
//     are pushed here instead, in order, with the secret header, retried until answered 2xx;
//   - methods it lacks answer HTTP 500 with a body that is not Bot-API-shaped: the ones the
//     bot uses (setMyCommands, getWebhookInfo, sendPhoto, ...) are served here, the rest get a
//     Bot-API-shaped 404;
//   - tests can inject Bot API errors (429 with retry_after, 403, ...) and read every bot
//     call with the time it arrived, through /_runner/* routes;
//   - a strict mode (/_runner/limits) refuses sends over Telegram's published pace with 429,
//     as Telegram does: the Bot FAQ (quoted at https://grammy.dev/advanced/flood.html) says
//     to avoid more than one message per second in a chat ("we may allow short bursts") and
//     that bulk notifications get no more than about 30 messages per second. Tests then
//     assert the peer's verdict (no 429) instead of counting arrivals themselves.
// It prints one line of JSON, {"port": N}, when it is ready.

import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import TelegramServer from 'telegram-test-api';

const HOST = '127.0.0.1';
const BOT = { id: 666, is_bot: true, first_name: 'Test First name', username: 'TestNameBot' };
const JSON_FIELDS = new Set([
  'reply_markup', 'entities', 'commands', 'scope', 'allowed_updates', 'link_preview_options',
  'reply_parameters', 'caption_entities',
]);

function argValue(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, HOST, () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

const now = () => performance.timeOrigin + performance.now();

const state = {
  calls: [],
  faults: [],
  commands: {},
  callbackAnswers: [],
  webhooks: {},
  queues: {},
  webhookLog: [],
  pushing: new Set(),
  retryAt: {},
  limits: {},
  accepted: {},
};

function reset() {
  state.limits = {};
  state.accepted = {};
  state.calls = [];
  state.faults = [];
  state.callbackAnswers = [];
  state.webhookLog = [];
}

// -- the package, on an inner port -----------------------------------------------------------
const innerPort = await freePort();
const inner = new TelegramServer({ port: innerPort, host: HOST, storeTimeout: 3600 });
await inner.start();
const innerBase = `http://${HOST}:${innerPort}`;

async function innerCall(path, body) {
  const resp = await fetch(innerBase + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
  const text = await resp.text();
  let data = null;
  try {
    data = JSON.parse(text);
  } catch {
    data = null;
  }
  return { status: resp.status, data };
}

// -- request bodies ----------------------------------------------------------------------------
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseMultipart(buffer, boundary) {
  const fields = {};
  const marker = Buffer.from(`--${boundary}`);
  let start = buffer.indexOf(marker);
  while (start >= 0) {
    const next = buffer.indexOf(marker, start + marker.length);
    if (next < 0) break;
    const part = buffer.subarray(start + marker.length + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    if (split >= 0) {
      const head = part.subarray(0, split).toString('utf8');
      const body = part.subarray(split + 4);
      const name = /name="([^"]+)"/.exec(head)?.[1];
      const filename = /filename="([^"]*)"/.exec(head)?.[1];
      if (name) {
        fields[name] = filename === undefined ? body.toString('utf8') : { filename, size: body.length };
      }
    }
    start = next;
  }
  return fields;
}

function parseParams(req, buffer, url) {
  let fields = Object.fromEntries(url.searchParams);
  const type = req.headers['content-type'] || '';
  if (type.startsWith('application/json') && buffer.length) {
    fields = { ...fields, ...JSON.parse(buffer.toString('utf8')) };
  } else if (type.startsWith('application/x-www-form-urlencoded')) {
    fields = { ...fields, ...Object.fromEntries(new URLSearchParams(buffer.toString('utf8'))) };
  } else if (type.startsWith('multipart/form-data')) {
    const boundary = /boundary=(.+)$/.exec(type)?.[1]?.replace(/^"|"$/g, '');
    if (boundary) fields = { ...fields, ...parseMultipart(buffer, boundary) };
  }
  for (const key of Object.keys(fields)) {
    if (JSON_FIELDS.has(key) && typeof fields[key] === 'string') {
      try {
        fields[key] = JSON.parse(fields[key]);
      } catch {
        // leave as sent; the method answers a Bot-API-shaped error below if it matters
      }
    }
  }
  return fields;
}

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const ok = (res, result, extra = {}) => send(res, 200, { ok: true, result, ...extra });
const fail = (res, code, description, parameters) =>
  send(res, code, { ok: false, error_code: code, description, ...(parameters ? { parameters } : {}) });

// -- fixing what the package returns -----------------------------------------------------------
function seconds(date) {
  return typeof date === 'number' && date > 1e11 ? Math.floor(date / 1000) : date;
}

function chatOf(id) {
  const n = Number(id);
  return n < 0 ? { id: n, type: 'group', title: 'Group' } : { id: n, type: 'private', first_name: 'User' };
}

function botMessage(message) {
  const fixed = { ...message, date: seconds(message.date), from: BOT, chat: chatOf(message.chat?.id ?? message.chat_id) };
  delete fixed.chat_id;
  delete fixed.botToken;
  if (!fixed.reply_markup) delete fixed.reply_markup;
  return fixed;
}

function fixUpdate(update) {
  const fixed = { ...update };
  if (fixed.callback_query) {
    const cq = { ...fixed.callback_query };
    if (cq.message) cq.message = botMessage(cq.message);
    cq.chat_instance = cq.chat_instance || String(cq.message?.chat?.id ?? cq.from?.id ?? 0);
    fixed.callback_query = cq;
  }
  if (fixed.message) {
    fixed.message = { ...fixed.message, date: seconds(fixed.message.date) };
    delete fixed.message.botToken;
  }
  return fixed;
}

// Moves what the package holds for this bot into the runner's queue (the package marks it read).
async function pull(token) {
  const { data } = await innerCall(`/bot${token}/getUpdates`, {});
  const queue = (state.queues[token] ||= []);
  for (const update of data?.result ?? []) queue.push(fixUpdate(update));
  return queue;
}

function waitUserUpdate(ms) {
  return new Promise((resolve) => {
    const events = ['AddedUserMessage', 'AddedUserCommand', 'AddedUserCallbackQuery'];
    const done = () => {
      clearTimeout(timer);
      for (const e of events) inner.off(e, done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(ms, 0));
    for (const e of events) inner.on(e, done);
  });
}

// -- bot methods ------------------------------------------------------------------------------
async function getUpdates(token, p) {
  const offset = Number(p.offset || 0);
  const timeout = Math.min(Number(p.timeout || 0), 50);
  const limit = Math.min(Number(p.limit || 100), 100);
  const deadline = Date.now() + timeout * 1000;
  for (;;) {
    let queue = await pull(token);
    if (offset > 0) {
      queue = queue.filter((u) => u.update_id >= offset);
      state.queues[token] = queue;
    }
    const left = deadline - Date.now();
    if (queue.length || left <= 0) return queue.slice(0, limit);
    await waitUserUpdate(Math.min(left, 1000));
  }
}

function storeBotFile(token, p, kind) {
  const message = inner.addBotMessage({ chat_id: p.chat_id, text: p.caption || '', caption: p.caption }, token);
  const id = `${kind}-${message.message_id}`;
  const size = typeof p[kind] === 'object' ? p[kind].size : 0;
  const file = { file_id: id, file_unique_id: id, file_size: size };
  const fixed = botMessage(message);
  delete fixed.text;
  fixed[kind] = kind === 'photo' ? [{ ...file, width: 800, height: 600 }] : { ...file, file_name: p[kind]?.filename };
  return fixed;
}

async function botMethod(token, method, p, res) {
  switch (method) {
    case 'getMe': {
      const { data } = await innerCall(`/bot${token}/getMe`, p);
      return ok(res, { ...BOT, ...(data?.result ?? {}), is_bot: true, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false });
    }
    case 'getUpdates':
      if (state.webhooks[token]) return fail(res, 409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
      return ok(res, await getUpdates(token, p));
    case 'sendMessage': {
      const text = String(p.text ?? '');
      if (!text.trim()) return fail(res, 400, 'Bad Request: message text is empty');
      if ([...text].length > 4096) return fail(res, 400, 'Bad Request: message is too long');
      const { data } = await innerCall(`/bot${token}/sendMessage`, { ...p, text });
      return ok(res, botMessage(data.result));
    }
    case 'sendPhoto':
      return ok(res, storeBotFile(token, p, 'photo'));
    case 'sendDocument':
      return ok(res, storeBotFile(token, p, 'document'));
    case 'editMessageText': {
      await innerCall(`/bot${token}/${method}`, p);
      // As Telegram does (the package merges instead): an edit without a keyboard, or with
      // an empty one, leaves the message without buttons.
      const stored = inner.storage.botMessages.find((m) => m.botToken === token
        && String(m.messageId) === String(p.message_id) && String(m.message.chat_id) === String(p.chat_id));
      if (stored && !(p.reply_markup?.inline_keyboard?.length)) delete stored.message.reply_markup;
      return ok(res, true);
    }
    case 'editMessageReplyMarkup':
    case 'deleteMessage':
      await innerCall(`/bot${token}/${method}`, p);
      return ok(res, true);
    case 'answerCallbackQuery':
      state.callbackAnswers.push({ ...p, token, t: now() });
      await innerCall(`/bot${token}/answerCallbackQuery`, p);
      return ok(res, true);
    case 'setWebhook':
      if (!p.url) return fail(res, 400, 'Bad Request: bad webhook: URL must be set');
      // As the Bot API documents secret_token: 1-256 characters, A-Z, a-z, 0-9, _ and -.
      if (p.secret_token != null && !/^[A-Za-z0-9_-]{1,256}$/.test(String(p.secret_token))) {
        return fail(res, 400, 'Bad Request: secret token contains unallowed characters');
      }
      state.webhooks[token] = { url: p.url, secret_token: p.secret_token || null };
      return ok(res, true, { description: 'Webhook was set' });
    case 'deleteWebhook':
      delete state.webhooks[token];
      if (String(p.drop_pending_updates) === 'true') state.queues[token] = [];
      return ok(res, true, { description: 'Webhook was deleted' });
    case 'getWebhookInfo': {
      const hook = state.webhooks[token];
      return ok(res, { url: hook?.url ?? '', has_custom_certificate: false, pending_update_count: (state.queues[token] ?? []).length });
    }
    case 'setMyCommands':
      (state.commands[token] ||= {})[menuKey(p)] = p.commands ?? [];
      return ok(res, true);
    case 'getMyCommands':
      return ok(res, state.commands[token]?.[menuKey(p)] ?? []);
    case 'deleteMyCommands':
      delete state.commands[token]?.[menuKey(p)];
      return ok(res, true);
    case 'sendChatAction':
      return ok(res, true);
    default: {
      const { status, data } = await innerCall(`/bot${token}/${method}`, p);
      if (data && typeof data.ok === 'boolean') return send(res, status, data);
      return fail(res, 404, 'Not Found: method not found');
    }
  }
}

function menuKey(p) {
  return `${p.scope?.type ?? 'default'}|${p.language_code ?? ''}`;
}

const SENDS = new Set(['sendMessage', 'sendPhoto', 'sendDocument']);

// The strict pace: at most per_second sends in any second per bot, and in one chat sends at
// least chat_gap_ms apart (a little under a second: arrival jitter is not a burst).
function overPace(token, method, chatId, t) {
  const limits = state.limits[token];
  if (!limits || !SENDS.has(method)) return false;
  const seen = (state.accepted[token] ??= { all: [], chats: {} });
  while (seen.all.length && seen.all[0] <= t - 1000) seen.all.shift();
  const last = seen.chats[String(chatId)];
  if (seen.all.length >= limits.per_second) return true;
  if (last !== undefined && t - last < limits.chat_gap_ms) return true;
  seen.all.push(t);
  seen.chats[String(chatId)] = t;
  return false;
}

function takeFault(token, method, chatId) {
  const fault = state.faults.find(
    (f) => f.count > 0 && f.method === method && (f.token == null || f.token === token)
      && (f.chat_id == null || String(f.chat_id) === String(chatId)),
  );
  if (fault) fault.count -= 1;
  return fault;
}

// -- webhook pushes ---------------------------------------------------------------------------
async function pushWebhooks() {
  for (const [token, hook] of Object.entries(state.webhooks)) {
    if (state.pushing.has(token) || (state.retryAt[token] ?? 0) > Date.now()) continue;
    state.pushing.add(token);
    try {
      const queue = await pull(token);
      while (queue.length && state.webhooks[token] === hook) {
        const update = queue[0];
        const headers = { 'content-type': 'application/json' };
        if (hook.secret_token) headers['x-telegram-bot-api-secret-token'] = hook.secret_token;
        let status = 0;
        try {
          const resp = await fetch(hook.url, { method: 'POST', headers, body: JSON.stringify(update) });
          status = resp.status;
          await resp.text();
        } catch (err) {
          status = -1;
        }
        state.webhookLog.push({ update_id: update.update_id, status, t: now() });
        if (status >= 200 && status < 300) {
          queue.shift();
        } else {
          // As Telegram does: keep the update and try again later, in order.
          state.retryAt[token] = Date.now() + 200;
          break;
        }
      }
    } finally {
      state.pushing.delete(token);
    }
  }
}
const pusher = setInterval(() => pushWebhooks().catch((e) => console.error('webhook push', e)), 20);

// -- the front server -------------------------------------------------------------------------
async function control(path, p, res, url) {
  switch (path) {
    case '/_runner/health':
      return ok(res, true);
    case '/_runner/reset':
      reset();
      return ok(res, true);
    case '/_runner/calls': {
      const token = url.searchParams.get('token');
      return ok(res, token ? state.calls.filter((c) => c.token === token) : state.calls);
    }
    case '/_runner/faults':
      state.faults.push({ count: 1, ...p });
      return ok(res, true);
    case '/_runner/limits':
      state.limits[p.token] = { per_second: Number(p.per_second ?? 30), chat_gap_ms: Number(p.chat_gap_ms ?? 900) };
      return ok(res, true);
    case '/_runner/callback_answers': {
      const token = url.searchParams.get('token');
      return ok(res, state.callbackAnswers.filter((a) => !token || a.token === token));
    }
    case '/_runner/commands': {
      const token = url.searchParams.get('token');
      return ok(res, state.commands[token] ?? {});
    }
    case '/_runner/webhook_log':
      return ok(res, state.webhookLog);
    case '/_runner/webhook': {
      const token = url.searchParams.get('token');
      return ok(res, state.webhooks[token] ?? null);
    }
    case '/_runner/chat': {
      const chatId = String(url.searchParams.get('chat_id') ?? p.chat_id);
      const token = url.searchParams.get('token') ?? p.token;
      const messages = inner.storage.botMessages
        .filter((m) => m.botToken === token && String(m.message.chat_id) === chatId)
        .map((m) => ({ message_id: m.messageId, t: m.time, text: m.message.text ?? '', reply_markup: m.message.reply_markup ?? null, photo: Boolean(m.message.photo) }));
      return ok(res, messages);
    }
    default:
      return fail(res, 404, 'Not Found');
  }
}

const front = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, `http://${HOST}`);
    const buffer = await readBody(req);
    const p = parseParams(req, buffer, url);
    if (url.pathname.startsWith('/_runner/')) return await control(url.pathname, p, res, url);
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (match) {
      const [, token, method] = match;
      // aiogram uploads a file as its own multipart part, named by "attach://<part>".
      let upload = p.photo ?? p.document;
      if (typeof upload === 'string' && upload.startsWith('attach://')) upload = p[upload.slice(9)];
      const call = { method, token, chat_id: p.chat_id ?? null, text: p.text ?? null, caption: p.caption ?? null, file: typeof upload === 'object' ? upload : null, t: now(), status: 200 };
      state.calls.push(call);
      const fault = takeFault(token, method, p.chat_id);
      if (fault?.raw) {
        // What a misconfigured proxy or a wrong base URL answers: not JSON, the path echoed.
        call.status = fault.error_code;
        res.writeHead(fault.error_code, { 'content-type': 'text/html' });
        return res.end(`<pre>Cannot POST ${url.pathname}</pre>`);
      }
      if (fault) {
        call.status = fault.error_code;
        const parameters = fault.retry_after ? { retry_after: fault.retry_after } : undefined;
        return fail(res, fault.error_code, fault.description, parameters);
      }
      if (overPace(token, method, p.chat_id, call.t)) {
        call.status = 429;
        return fail(res, 429, 'Too Many Requests: retry after 1', { retry_after: 1 });
      }
      return await botMethod(token, method, p, res);
    }
    // The simulated user's client routes go to the package unchanged.
    const { status, data } = await innerCall(url.pathname, p);
    return send(res, status, data ?? { ok: false });
  } catch (err) {
    console.error('runner error', err);
    return fail(res, 500, `Internal Server Error: ${err.message}`);
  }
});

process.on('unhandledRejection', (err) => console.error('unhandled rejection', err));

front.listen(Number(argValue('--port', '0')), HOST, () => {
  process.stdout.write(`${JSON.stringify({ port: front.address().port })}\n`);
});

async function shutdown() {
  clearInterval(pusher);
  front.close();
  await inner.stop();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
