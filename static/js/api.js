// The JSON API, as the form uses it: the session cookie (set at sign-in) plus the CSRF token for
// changes, a reason on every read of a record (every access is logged with it), problem details back.

export class Offline extends Error {
  constructor() { super('No connection'); }
}

/** The signed-in officer, for this tab only (cleared at sign-out). */
export const session = {
  get: () => JSON.parse(sessionStorage.getItem('session') || 'null'),
  set: (value) => sessionStorage.setItem('session', JSON.stringify(value)),
  clear: () => sessionStorage.clear(),
};

let onEnd = () => { location.hash = '#/sign-in'; };

/** What to do when the session ends without a sign-out (the app warns of, then deletes, the outbox). */
export function whenSessionEnds(handler) {
  onEnd = handler;
}

/**
 * The session has ended (the API answered 401, or the browser's cookie now belongs to another
 * sign-in): forget the officer in this tab, once, and tell the app. `keep` names the outbox key of a
 * session that is still live in this browser, whose items must stay.
 */
export function endSession(keep) {
  const who = session.get();
  if (!who) return Promise.resolve();
  session.clear();
  return onEnd(who, keep);
}

/**
 * Calls the API. Resolves to { status, ok, data, etag } for any HTTP answer; throws `Offline` when
 * there is no answer at all (no signal), so the caller can queue the request.
 */
export async function api(method, path, { body, headers = {}, token } = {}) {
  const sent = { accept: 'application/json, application/problem+json', ...headers };
  if (body !== undefined) sent['content-type'] = 'application/json';
  // Every read of a record is logged with the reason the officer gave when signing in (DPA 2018 s.62).
  if (method === 'GET') sent['x-access-reason'] = session.get()?.reason || 'investigation';
  else if (session.get()?.csrf) sent['x-csrf-token'] = session.get().csrf;
  if (token) sent.authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, {
      method, headers: sent, credentials: 'same-origin', cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new Offline();
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (response.status === 401 && !token) endSession();
  return { status: response.status, ok: response.ok, data, etag: response.headers.get('etag') };
}

/** The field errors of a problem, or one general error. */
export function problemErrors(result) {
  if (result.data?.errors?.length) return result.data.errors;
  return [{ pointer: '', detail: result.data?.detail || result.data?.title || `The service answered ${result.status}.` }];
}
