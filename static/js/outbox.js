// Never lose a report, and never hand it to someone else. A submission made without a connection
// waits in IndexedDB with its Idempotency-Key and is sent when the connection returns; the key makes a
// repeat harmless (the API answers a retry with the first response and creates nothing new).
//
// A phone may be shared, so what waits belongs to the officer who made it, and to their session:
// - it is sealed with AES-GCM under the session's outbox key, which the API hands out at sign-in (and
//   again on GET /api/v1/session, after a reload) and which dies with the session; the key is held in
//   memory only, as a non-extractable CryptoKey. The stored record is {key, owner, keyId, queuedAt, iv,
//   ciphertext}: the request and its label exist only inside the ciphertext, bound to the owner and the
//   Idempotency-Key (the additional data);
// - only the signed-in officer's own items are listed or sent;
// - when the session ends without a sign-out, the app warns how many unsent items were lost and deletes
//   them (they could not be opened any more); signing in or out deletes whatever was left.

import { api, endSession, Offline, session } from './api.js';

const DB = 'stalking-response';
const STORE = 'outbox';
// Version 1 kept requests in plain text with no owner: the upgrade deletes them, unsent, since there
// is no telling whose they were.
const VERSION = 2;

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (db.objectStoreNames.contains(STORE)) db.deleteObjectStore(STORE);
      db.createObjectStore(STORE, { keyPath: 'key' });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function transact(mode, work) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const result = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(result.result ?? result);
      tx.onerror = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

const stored = async () =>
  (await transact('readonly', (store) => store.getAll())).sort((a, b) => a.queuedAt.localeCompare(b.queuedAt));
const put = (record) => transact('readwrite', (store) => store.put(record));
const remove = (key) => transact('readwrite', (store) => store.delete(key));

// The session's key, in memory only: { subject, id, key }.
let unlocked = null;
let unlocking = null;

function fromBase64url(text) {
  return Uint8Array.from(atob(text.replaceAll('-', '+').replaceAll('_', '/')), (c) => c.charCodeAt(0));
}

/** A key's fingerprint, stored with each record so that items of an ended session are told apart. */
async function fingerprint(raw) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', raw));
  return [...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Takes the session's outbox key (base64url, from the API) as a non-extractable AES-GCM key. */
export async function unlock(subject, outboxKey) {
  const raw = fromBase64url(outboxKey);
  const id = await fingerprint(raw);
  const key = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
  raw.fill(0);
  unlocked = { subject, id, key };
}

/** Forgets the key (the session has ended, or another officer signs in). */
export function lock() {
  unlocked = null;
}

/**
 * The signed-in officer's key: in memory, or fetched again from the API after a reload; null without
 * a connection. If the browser's session now belongs to someone else, this tab's session has ended.
 */
function ready() {
  const me = session.get();
  if (!me) return Promise.resolve(null);
  if (unlocked?.subject === me.subject) return Promise.resolve(unlocked);
  unlocking ??= (async () => {
    try {
      const result = await api('GET', '/api/v1/session');
      if (!result.ok || session.get()?.subject !== me.subject) return null;
      if (result.data?.subject !== me.subject || !result.data.outbox_key) {
        const live = result.data?.outbox_key ? await fingerprint(fromBase64url(result.data.outbox_key)) : undefined;
        await endSession(live);
        return null;
      }
      await unlock(me.subject, result.data.outbox_key);
      return unlocked;
    } catch (e) {
      if (e instanceof Offline) return null;
      throw e;
    } finally {
      unlocking = null;
    }
  })();
  return unlocking;
}

const encoder = new TextEncoder();
const additionalData = (owner, key) => encoder.encode(`${owner}\n${key}`);

/** A record to store: only the idempotency key, the owner, the key's fingerprint and the time in clear. */
async function seal(k, { key, queuedAt, ...request }) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: additionalData(k.subject, key) }, k.key, encoder.encode(JSON.stringify(request)));
  return { key, owner: k.subject, keyId: k.id, queuedAt, iv, ciphertext };
}

async function unseal(k, record) {
  const plain = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: record.iv, additionalData: additionalData(record.owner, record.key) }, k.key, record.ciphertext);
  return { ...JSON.parse(new TextDecoder().decode(plain)), key: record.key, queuedAt: record.queuedAt };
}

const mine = (records, k) => records.filter((r) => r.owner === k.subject && r.keyId === k.id);

/**
 * What the signed-in officer has waiting, oldest first: their own items only. Without the key (a
 * reload with no connection) they are listed as `locked`, without their labels.
 */
export async function pending() {
  const me = session.get();
  if (!me) return [];
  const k = await ready();
  const records = await stored();
  if (!k) {
    return records.filter((r) => r.owner === me.subject)
      .map((r) => ({ key: r.key, queuedAt: r.queuedAt, locked: true, label: 'Saved on this device' }));
  }
  const items = [];
  for (const record of mine(records, k)) {
    try { items.push(await unseal(k, record)); } catch { /* not this session's: never shown */ }
  }
  return items;
}

/** How many unsent items of `subject` this device holds (to warn before they are deleted). */
export async function countOf(subject) {
  return (await stored().catch(() => [])).filter((r) => r.owner === subject).length;
}

/** Deletes what is held on this device (at sign-in and sign-out), or all but a live session's items. */
export async function wipe(keep) {
  if (keep) {
    for (const record of await stored()) if (record.keyId !== keep) await remove(record.key);
    return;
  }
  await new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(DB);
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
}

function send(item) {
  return api(item.method, item.path, {
    body: item.body,
    headers: { 'idempotency-key': item.key, ...(item.ifMatch ? { 'if-match': item.ifMatch } : {}) },
  });
}

const unsaved = {
  status: 0, ok: false,
  data: { detail: 'There is no connection, and this page was reloaded since you signed in, so it cannot be saved on this device. Keep this page open and send it again when you have a signal.' },
};

/**
 * Submits a new record: sent now if there is a connection, else queued. Resolves to the API's result,
 * or `{ queued: true }`.
 */
export async function submit({ method = 'POST', path, body, label, ifMatch }) {
  const item = { key: crypto.randomUUID(), method, path, body, label, ifMatch, queuedAt: new Date().toISOString() };
  if (navigator.onLine) {
    try {
      return await send(item);
    } catch (e) {
      if (!(e instanceof Offline)) throw e;
    }
  }
  const k = await ready();
  if (!k) return unsaved;
  await put(await seal(k, item));
  changed();
  return { queued: true };
}

let flushing = null;

/** Sends what the signed-in officer has waiting, oldest first; stops at the first sign of no connection. */
export function flush() {
  flushing ??= (async () => {
    try {
      const k = await ready();
      if (!k) return;
      for (const record of mine(await stored(), k)) {
        if (unlocked !== k) break; // the session ended meanwhile
        let item;
        try { item = await unseal(k, record); } catch { continue; }
        if (item.failed) continue;
        let result;
        try { result = await send(item); } catch { break; }
        if (result.ok) await remove(item.key);
        else if (result.status >= 400 && result.status < 500 && result.status !== 401) {
          // The API refused it: keep it, with the reasons, for the officer to see and redo.
          await put(await seal(k, { ...item, failed: { status: result.status, problem: result.data } }));
        } else break;
      }
    } finally {
      flushing = null;
      changed();
    }
  })();
  return flushing;
}

export async function discard(key) {
  await remove(key);
  changed();
}

let notice = null;

/** A message for the officer about items deleted unsent, shown once by the next view that asks. */
export function takeNotice() {
  const text = notice;
  notice = null;
  return text;
}

const reports = (n) => `${n} unsent ${n === 1 ? 'report' : 'reports'} on this device`;

/**
 * The session ended without a sign-out: forget the key, warn how many of the officer's unsent items
 * are lost (they can only be sent in the session they were made in), then delete them. `show` puts
 * the warning on the screen; `keep` spares the items of a session still live in this browser.
 */
export async function sessionEnded(who, keep, show) {
  lock();
  const lost = await countOf(who.subject);
  if (lost) {
    notice = `Your session has ended: ${reports(lost)} ${lost === 1 ? 'has' : 'have'} been deleted, because ${lost === 1 ? 'it' : 'they'} can only be sent in the session ${lost === 1 ? 'it was' : 'they were'} made in. Sign in and make ${lost === 1 ? 'it' : 'them'} again.`;
  }
  await show();
  await wipe(keep);
  changed();
}

/**
 * Signing in: anything left on the device belongs to an ended session (this browser has one session
 * at a time) and can never be opened again, so it is deleted, with a notice; then the new key.
 */
export async function signedIn(subject, outboxKey) {
  lock();
  const left = (await stored().catch(() => [])).length;
  await wipe();
  if (left) notice = `${left} unsent ${left === 1 ? 'report' : 'reports'} left on this device by an earlier session ${left === 1 ? 'was' : 'were'} deleted: ${left === 1 ? 'it' : 'they'} could only be sent in that session.`;
  await unlock(subject, outboxKey);
}

export function changed() {
  window.dispatchEvent(new Event('outbox-changed'));
}
