// Signing in and out, "my cases" with the crime-decision clock and outstanding actions, one case, and
// what is waiting to be sent.

import { api, problemErrors, session } from '../api.js';
import { discard, flush, lock, pending, signedIn, takeNotice, wipe } from '../outbox.js';
import { orderKind } from './report.js';
import { actionList, careSection } from './care.js';
import { button, h, heading, input, insetText, link, p, radios, showErrors, summaryList, tag, warning, words } from '../dom.js';

/** A notice of unsent items deleted, announced to screen readers. */
function notice() {
  const text = takeNotice();
  return text ? h('div', { role: 'alert' }, warning(text)) : null;
}

export async function signIn(root) {
  // The token is a 90-day bearer credential: not a password field, so browsers and password managers
  // neither offer to save it nor fill it in; it is cleared as soon as it has been read.
  const form = h('form', { novalidate: true, autocomplete: 'off' },
    ...heading('Sign in'),
    notice(),
    p('Use the access token your force gave you. Signing in starts a session on this device for up to 8 hours.'),
    input({ id: 'token', label: 'Access token', autocomplete: 'off', spellcheck: 'false', attrs: {
      autocapitalize: 'none', 'data-lpignore': 'true', 'data-1p-ignore': 'true', 'data-bwignore': 'true', 'data-form-type': 'other',
    } }),
    radios({
      id: 'reason', label: 'Why are you using the service now?', hint: 'Every record you open is logged with this reason.',
      items: [['investigation', 'Investigating', 'Reports, cases, crime decisions and searches'], ['safeguarding', 'Safeguarding', 'Risk assessments and referrals'], ['supervision', 'Supervising', 'Reviewing other officers’ work']],
      value: 'investigation',
    }),
    button('Sign in'));
  // Signing in with the force's account: the reason chosen above goes with every read, so it is kept in
  // this tab while the browser is at the force's sign-in page.
  const force = h('div', {},
    h('h2', { class: 'govuk-heading-m' }, 'Or sign in with your force account'),
    p('If your force has set it up, you sign in at its own sign-in page, with its second factor.'),
    button('Sign in with your force account', { type: 'button', secondary: true, 'on:click': () => {
      const reason = form.querySelector('input[name="reason"]:checked')?.value || 'investigation';
      sessionStorage.setItem('oidc-reason', reason);
      location.assign('/api/v1/session/oidc');
    } }));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = form.elements.token.value.trim();
    form.elements.token.value = '';
    if (!token) return showErrors(form, [{ pointer: '/token', detail: 'Enter your access token' }]);
    const result = await api('POST', '/api/v1/session', { token }).catch(() => null);
    if (!result) return showErrors(form, [{ pointer: '/token', detail: 'There is no connection. Sign in when you have a signal.' }]);
    if (!result.ok) return showErrors(form, [{ pointer: '/token', detail: result.data?.detail || 'The token was not accepted' }]);
    const reason = form.querySelector('input[name="reason"]:checked')?.value || 'investigation';
    await signedIn(result.data.subject, result.data.outbox_key);
    session.set({ subject: result.data.subject, role: result.data.role, csrf: result.data.csrf_token, reason });
    location.hash = '#/cases';
  });
  root.append(form, force);
}

/**
 * Back from the force's sign-in page: the app has set its session cookie; the session's CSRF token
 * and outbox key are read from the API (the provider's tokens never reach this page).
 */
export async function signedInAtProvider(root) {
  const result = await api('GET', '/api/v1/session').catch(() => null);
  if (!result?.ok || !result.data?.csrf_token) {
    location.hash = '#/sign-in';
    return;
  }
  const reason = sessionStorage.getItem('oidc-reason') || 'investigation';
  sessionStorage.removeItem('oidc-reason');
  await signedIn(result.data.subject, result.data.outbox_key);
  session.set({ subject: result.data.subject, role: result.data.role, csrf: result.data.csrf_token, reason });
  root.append(p('Signed in.'));
  location.hash = '#/cases';
}

export async function signOut(root) {
  const waiting = await pending();
  const leave = async () => {
    const out = await api('DELETE', '/api/v1/session').catch(() => null);
    lock();
    await wipe();
    session.clear();
    // A session started at the force's sign-in page: sign out there too.
    if (out?.status === 200 && out.data?.end_session_url) location.assign(out.data.end_session_url);
    else location.hash = '#/sign-in';
  };
  if (!waiting.length) return leave();
  root.append(...heading('Sign out'),
    warning(`${waiting.length} ${waiting.length === 1 ? 'report is' : 'reports are'} waiting to be sent. Signing out deletes ${waiting.length === 1 ? 'it' : 'them'} from this device.`),
    h('div', { class: 'govuk-button-group' },
      button('Stay signed in', { type: 'button', 'on:click': () => { location.hash = '#/pending'; } }),
      h('button', { class: 'govuk-button govuk-button--warning', type: 'button', 'data-module': 'govuk-button', 'on:click': leave },
        'Delete them and sign out')));
}

/** The crime decision's 24-hour clock, in words. */
function clock(item) {
  if (item.status !== 'awaiting-decision') return tag(item.status === 'recorded' ? 'Crime recorded' : 'No crime', 'green');
  const minutes = item.clock?.minutes_left ?? 0;
  if (item.clock?.overdue) return h('span', { class: 'app-clock--overdue' }, 'Crime decision overdue');
  return `Crime decision due in ${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export async function myCases(root) {
  const me = session.get();
  root.append(...heading('My cases'), notice(),
    h('a', { class: 'govuk-button', href: '#/report', role: 'button', draggable: 'false', 'data-module': 'govuk-button' }, 'Report harassment or stalking'));
  const waiting = await pending();
  if (waiting.length) {
    root.append(h('div', { class: 'app-pending' },
      p(`${waiting.length} waiting to be sent from this device. `, link('#/pending', 'See what is waiting'))));
  }
  const result = await api('GET', `/api/v1/cases?officer=${encodeURIComponent(me.subject)}&limit=20`).catch(() => null);
  if (!result?.ok) {
    root.append(p('Your cases cannot be shown without a connection. New reports can still be made: they are kept on this device until they are sent.'));
    return;
  }
  if (!result.data.cases.length) {
    root.append(p('You have no cases yet.'));
    return;
  }
  const due = await Promise.all(result.data.cases.map((c) =>
    api('GET', `/api/v1/cases/${c.id}/actions`).then((r) => (r.ok ? r.data.actions : null)).catch(() => null)));
  root.append(h('ul', { class: 'govuk-list' }, result.data.cases.map((c, i) => {
    const actions = (due[i] || []).filter((a) => a.code !== 'crime-decision-due' && (a.due_at || a.overdue));
    return h('li', { class: 'govuk-!-margin-bottom-6' },
      h('h2', { class: 'govuk-heading-s govuk-!-margin-bottom-1' }, link(`#/cases/${c.id}`, `${c.incident_reference} – ${c.victim.name}`)),
      p(clock(c)),
      actions.length ? actionList(actions) : p('Nothing else due by a date.'));
  })));
}

export async function waiting(root) {
  const items = await pending();
  root.append(...heading('Waiting to send'));
  if (!items.length) {
    root.append(p('Nothing is waiting: everything you submitted has been sent.'));
    return;
  }
  root.append(p('These were made without a connection. They are sent automatically when the connection returns; sending one twice never creates a second record.'),
    summaryList(items.map((item) => [
      item.label,
      item.failed
        ? h('span', {}, tag('Not accepted', 'red'), ' ', problemErrors({ status: item.failed.status, data: item.failed.problem }).map((e) => e.detail).join(' '))
        : h('span', {}, tag('Pending', 'orange'), ` since ${new Date(item.queuedAt).toLocaleString('en-GB')}`),
      null,
    ])),
    h('div', { class: 'govuk-button-group' },
      button('Send now', { type: 'button', 'on:click': () => flush() }),
      ...items.filter((i) => i.failed).map((item) =>
        button(`Remove "${item.label}"`, { type: 'button', secondary: true, 'on:click': () => discard(item.key) }))));
}

/** The protocol's checks in words, and a colour for each status (the words carry it too). */
const COMPLIANCE_LABELS = {
  'stalking-considered': 'Stalking considered first',
  'risk-assessed': 'Risk assessed',
  'risk-reviewed': 'Risk reviewed after new occurrences',
  'safety-plan': 'Safety plan',
  'supervisor-review': 'Supervisor review',
  'no-pin': 'No PIN issued',
  's2b-considered': 's.2B power considered',
  'orders-considered': 'Orders considered with the victim’s views',
  'victim-informed': 'Victim kept informed',
  'decision-on-time': 'Crime decision within 24 hours',
};
const COMPLIANCE_COLOURS = { met: 'green', 'not-met': 'red', pending: 'yellow', 'not-applicable': 'grey' };

/** The checks a reason for not using a power meets, and the power. */
const CONSIDERED = { 's2b-considered': 's2b-warrant', 'orders-considered': 'protective-order' };

export async function caseView(root, id) {
  const result = await api('GET', `/api/v1/cases/${id}`);
  if (!result.ok) {
    root.append(...heading('Case not available'), p(problemErrors(result)[0].detail));
    return;
  }
  const c = result.data;
  const [riskResult, ordersResult, actionsResult, careResult, complianceResult] = await Promise.all([
    `/api/v1/risk/cases/${id}`, `/api/v1/orders?case=${id}`, `/api/v1/cases/${id}/actions`, `/api/v1/cases/${id}/victim-care`,
    `/api/v1/cases/${id}/compliance`,
  ].map((path) => api('GET', path).catch(() => null)));
  const orders = ordersResult?.ok ? ordersResult.data.orders : [];
  const risk = riskResult?.ok ? riskResult.data : null;
  const s = c.suggestion;
  const serial = c.suspects.filter((x) => x.serial_perpetrator);
  root.append(...heading(c.victim.name, c.incident_reference),
    p(clock(c)),
    serial.length
      ? warning(serial.map((x) => `Serial perpetrator: ${x.name} is a suspect in cases with ${x.victim_count} different victims.`).join(' '))
      : null,
    s.stalking_indicated
      ? insetText(h('strong', {}, 'Stalking first: '), 'the facts indicate stalking. ', s.reasons.join(' '))
      : insetText(s.reasons.join(' ')),
    summaryList([
      ['Suspects', h('span', {}, ...c.suspects.flatMap((x, i) => [
        i ? ', ' : null,
        x.name,
        x.linked_case_count ? ` (in ${x.linked_case_count} other ${x.linked_case_count === 1 ? 'case' : 'cases'})` : null,
        x.link?.review === 'pending' ? h('span', {}, ' ', tag('Link to review', 'orange')) : null,
      ]))],
      ['Relationship', words(c.relationship)],
      ['Occasions', String(c.occurrences.length)],
      ['Suggested classification', words(s.suggested)],
      ['Crime reference', c.crime_reference || 'Not yet recorded'],
      ['Risk level', risk?.assessment ? `${words(risk.assessment.level)} (score ${risk.assessment.result.score} of ${risk.assessment.result.out_of})` : 'Not assessed'],
    ]));
  const actions = actionsResult?.ok ? actionsResult.data.actions : [];
  if (actions.length) root.append(h('h2', { class: 'govuk-heading-m' }, 'Outstanding actions'), actionList(actions));
  if (careResult?.ok) root.append(...careSection(id, careResult.data));
  if (orders.length) {
    root.append(h('h2', { class: 'govuk-heading-m' }, 'Orders'),
      summaryList(orders.map((o) => [
        orderKind(o.kind),
        h('div', {},
          h('p', { class: 'govuk-body govuk-!-margin-bottom-1' }, words(o.status),
            o.breaches.length ? ` · ${o.breaches.length} ${o.breaches.length === 1 ? 'breach' : 'breaches'}` : '',
            o.notification?.overdue ? h('span', {}, ' ', tag('Notification overdue', 'red')) : null),
          h('ul', { class: 'govuk-list govuk-!-margin-bottom-0' },
            o.in_effect ? h('li', {}, link(`#/orders/${o.id}/breach`, 'Record a breach')) : null,
            o.notification && !o.notification.notified_at ? h('li', {}, link(`#/orders/${o.id}/notified`, 'Notification received')) : null)),
        null,
      ])));
  }
  if (complianceResult?.ok) {
    root.append(h('h2', { class: 'govuk-heading-m' }, 'National stalking protocol'),
      summaryList(complianceResult.data.checks.map((c) => [
        COMPLIANCE_LABELS[c.check] || words(c.check),
        h('span', {}, tag(words(c.status), COMPLIANCE_COLOURS[c.status]), ' ', c.reason),
        // A power considered and not used: its reason meets the check.
        c.status === 'not-met' && CONSIDERED[c.check] ? { href: `#/cases/${id}/consider/${CONSIDERED[c.check]}`, text: 'Record why not' } : null,
      ])));
  }
  root.append(h('h2', { class: 'govuk-heading-m' }, 'What to do next'),
    h('ul', { class: 'govuk-list' },
      c.status === 'awaiting-decision' ? h('li', {}, link(`#/cases/${id}/decision`, 'Record the crime decision')) : null,
      h('li', {}, link(`#/cases/${id}/occurrence`, 'Add an occurrence')),
      h('li', {}, link(`#/cases/${id}/assess/dash/2009-police`, risk?.assessment ? 'Assess the risk again (DASH)' : 'Assess the risk (DASH)')),
      risk?.screening_required ? h('li', {}, link(`#/cases/${id}/assess/s-dash/2009`, 'Complete the stalking screening (S-DASH)')) : null,
      h('li', {}, link(`#/cases/${id}/search`, 'Record a search of premises'))));
}
