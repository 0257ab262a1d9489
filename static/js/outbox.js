// Never lose a report: a submission made without a connection waits in IndexedDB, with its
// Idempotency-Key, and is sent when the connection returns. The key makes a repeat harmless: the API
// answers a retry with the first response and creates nothing new.

import { api, Offline } from './api.js';

const DB = 'stalking-response';
const STORE = 'outbox';

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'key' });
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

export const pending = async () =>
  (await transact('readonly', (store) => store.getAll())).sort((a, b) => a.queuedAt.localeCompare(b.queuedAt));
const put = (item) => transact('readwrite', (store) => store.put(item));
const remove = (key) => transact('readwrite', (store) => store.delete(key));

/** Deletes everything held on this device (at sign-out). */
export function wipe() {
  return new Promise((resolve) => {
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

/**
 * Submits a new record: sent now if there is a connection, else queued. Resolves to the API's result,
 * or `{ queued: true }`.
 */
export async function submit({ method = 'POST', path, body, label, ifMatch }) {
  const item = { key: crypto.randomUUID(), method, path, body, label, ifMatch, queuedAt: new Date().toISOString() };
  if (!navigator.onLine) {
    await put(item);
    changed();
    return { queued: true };
  }
  try {
    return await send(item);
  } catch (e) {
    if (!(e instanceof Offline)) throw e;
    await put(item);
    changed();
    return { queued: true };
  }
}

let flushing = null;

/** Sends what is waiting, oldest first; stops at the first sign of no connection. */
export function flush() {
  flushing ??= (async () => {
    try {
      for (const item of await pending()) {
        if (item.failed) continue;
        let result;
        try { result = await send(item); } catch { break; }
        if (result.ok) await remove(item.key);
        else if (result.status >= 400 && result.status < 500 && result.status !== 401) {
          // The API refused it: keep it, with the reasons, for the officer to see and redo.
          await put({ ...item, failed: { status: result.status, problem: result.data } });
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

function changed() {
  window.dispatchEvent(new Event('outbox-changed'));
}
