// Victim care on a phone: the victim's contact preferences and safe contact details, recording a
// contact (a victim update, the personal statement offered, a safety plan agreed), and recording a
// key decision the victim must be told of. And what is due on a case, in one list.

import { api, problemErrors } from '../api.js';
import { submit } from '../outbox.js';
import {
  button, checkboxes, checked, dateInput, h, heading, input, link, p, panel, radios, readDate,
  showErrors, summaryList, tag, textarea, value, words,
} from '../dom.js';

const METHODS = [
  ['phone', 'Phone call'], ['text-message', 'Text message'], ['email', 'Email'], ['letter', 'Letter'],
  ['in-person', 'In person'], ['video', 'Video call'],
];
const OFFICER_DECISIONS = [
  ['arrest', 'The suspect was arrested'], ['interview', 'The suspect was interviewed'],
  ['released-under-investigation', 'Released under investigation'], ['released-on-bail', 'Released on bail'],
  ['charge', 'The suspect was charged'], ['no-further-action', 'No further action'],
  ['out-of-court-disposal', 'An out-of-court disposal'], ['court-hearing', 'A court hearing was set'],
  ['court-outcome', 'The court gave its outcome'],
];
const methodName = (m) => METHODS.find(([v]) => v === m)?.[1] || words(m);

/** A list of what is due, overdue first, as the API orders it. */
export function actionList(actions) {
  return h('ul', { class: 'govuk-list govuk-list--bullet' }, actions.map((a) =>
    h('li', {}, a.overdue ? tag('Overdue', 'red') : null, a.overdue ? ' ' : null, a.text,
      a.due_at && !a.overdue ? ` Due by ${new Date(a.due_at).toLocaleString('en-GB')}.` : null)));
}

/** The case page's victim care section. */
export function careSection(id, care) {
  const open = care.updates.filter((u) => !u.given_at);
  const prefs = care.preferences;
  return [
    h('h2', { class: 'govuk-heading-m' }, 'Victim care'),
    summaryList([
      ['Service', care.entitlement === 'enhanced' ? `Enhanced: told of key decisions within ${care.update_days} working day${care.update_days === 1 ? '' : 's'}` : `Standard: within ${care.update_days} working days`],
      ['Contact', prefs ? prefs.methods.map(methodName).join(', ') + (prefs.safe_times ? ` · ${prefs.safe_times}` : '') : 'Preferences not recorded'],
      ['Contacts', care.contacts ? `${care.contacts}, the last on ${new Date(care.last_contact_at).toLocaleString('en-GB')}` : 'None yet'],
      ['Updates owed', open.length ? h('span', {}, ...open.flatMap((u, i) => [i ? '; ' : null, u.overdue ? tag('Overdue', 'red') : null, u.overdue ? ' ' : null, u.description])) : 'None'],
      ['Personal statement', care.personal_statement ? words(care.personal_statement) : 'Not yet offered'],
      ['Safety plan', care.safety_plan_agreed_at ? `Agreed ${new Date(care.safety_plan_agreed_at).toLocaleDateString('en-GB')}` : 'Not recorded'],
    ]),
    h('ul', { class: 'govuk-list' },
      h('li', {}, link(`#/cases/${id}/victim-contact`, 'Record a contact with the victim')),
      h('li', {}, link(`#/cases/${id}/victim-preferences`, prefs ? 'Change the contact preferences' : 'Record the contact preferences')),
      h('li', {}, link(`#/cases/${id}/key-decision`, 'Record a key decision to tell the victim about'))),
  ];
}

function saved(root, id, title) {
  root.replaceChildren(panel(title, 'It will be sent when you have a connection.'), p(link(`#/cases/${id}`, 'Back to the case')));
}

export async function victimContact(root, id) {
  const current = await api('GET', `/api/v1/cases/${id}/victim-care`);
  if (!current.ok) return root.append(...heading('Case not available'), p(problemErrors(current)[0].detail));
  const care = current.data;
  const open = care.updates.filter((u) => !u.given_at);
  const prefs = care.preferences;
  const form = h('form', { novalidate: true },
    h('a', { class: 'govuk-back-link', href: `#/cases/${id}` }, 'Back'),
    ...heading('Record a contact with the victim'),
    prefs ? p(`Safe contact: ${prefs.methods.map(methodName).join(', ')}${prefs.safe_times ? ` (${prefs.safe_times})` : ''}.${prefs.leave_messages ? '' : ' Do not leave messages.'}`) : null,
    radios({ id: 'method', label: 'How did you contact them?', items: METHODS, value: prefs?.methods[0] || 'phone', small: true }),
    textarea({ id: 'summary', label: 'What was said', hint: 'What you told the victim and what they told you', rows: 5 }),
    open.length
      ? checkboxes({ id: 'updates_given', label: 'Which updates did you give?', hint: 'Each key decision the victim must be told of', items: open.map((u) => [u.id, `${u.description[0].toUpperCase()}${u.description.slice(1)} (due ${new Date(u.due_at).toLocaleString('en-GB')})`]) })
      : null,
    radios({ id: 'personal_statement', label: 'Victim personal statement', items: [['none', 'Not discussed'], ['offered', 'Offered'], ['made', 'Made'], ['declined', 'Declined']], value: 'none', small: true }),
    checkboxes({ id: 'safety_plan_agreed', label: 'Safety plan', items: [['yes', 'A safety plan was agreed or reviewed']] }),
    button('Record the contact'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const statement = form.querySelector('input[name="personal_statement"]:checked')?.value;
    const body = {
      method: form.querySelector('input[name="method"]:checked')?.value,
      summary: value(form, 'summary'),
      updates_given: checked(form, 'updates_given'),
      personal_statement: statement === 'none' ? null : statement,
      safety_plan_agreed: checked(form, 'safety_plan_agreed').includes('yes'),
    };
    if (!body.summary) return showErrors(form, [{ pointer: '/summary', detail: 'Enter what was said' }]);
    const result = await submit({ path: `/api/v1/cases/${id}/victim-contacts`, body, label: 'Contact with the victim' });
    if (result.queued) saved(root, id, 'Contact saved on this device');
    else if (result.ok) location.hash = `#/cases/${id}`;
    else showErrors(form, problemErrors(result), 'The contact was not accepted');
  });
  root.append(form);
}

export async function victimPreferences(root, id) {
  const current = await api('GET', `/api/v1/cases/${id}/victim-care`);
  if (!current.ok) return root.append(...heading('Case not available'), p(problemErrors(current)[0].detail));
  const prefs = current.data.preferences || {};
  const form = h('form', { novalidate: true },
    h('a', { class: 'govuk-back-link', href: `#/cases/${id}` }, 'Back'),
    ...heading('How the victim wants to be contacted'),
    checkboxes({ id: 'methods', label: 'Ways to contact them', hint: 'Only ways that are safe: never details the suspect knows', items: METHODS, values: prefs.methods || [] }),
    input({ id: 'safe_phone', label: 'Safe phone number', hint: 'For calls and text messages', type: 'tel', value: prefs.safe_phone || '', autocomplete: 'off' }),
    input({ id: 'safe_email', label: 'Safe email address', type: 'email', value: prefs.safe_email || '', autocomplete: 'off' }),
    textarea({ id: 'safe_address', label: 'Safe address', hint: 'For letters', value: prefs.safe_address || '', rows: 3 }),
    input({ id: 'safe_times', label: 'When is contact safe?', hint: 'For example, weekdays after 6pm', value: prefs.safe_times || '' }),
    radios({ id: 'leave_messages', label: 'May a message be left?', items: [['no', 'No'], ['yes', 'Yes']], value: prefs.leave_messages ? 'yes' : 'no', inline: true }),
    radios({ id: 'entitlement', label: 'Victims’ Code service', hint: 'Stalking victims are persistently targeted: enhanced unless there is a reason', items: [['enhanced', 'Enhanced'], ['standard', 'Standard']], value: prefs.entitlement || 'enhanced', inline: true }),
    textarea({ id: 'entitlement_reason', label: 'Why the standard service?', hint: 'Only for the standard service', value: prefs.entitlement_reason || '', rows: 2 }),
    textarea({ id: 'notes', label: 'Anything else to know before contacting them', value: prefs.notes || '', rows: 3 }),
    button('Save the preferences'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const optional = (field) => value(form, field) || null;
    const body = {
      methods: checked(form, 'methods'),
      safe_phone: optional('safe_phone'),
      safe_email: optional('safe_email'),
      safe_address: optional('safe_address'),
      safe_times: optional('safe_times'),
      leave_messages: form.querySelector('input[name="leave_messages"]:checked')?.value === 'yes',
      entitlement: form.querySelector('input[name="entitlement"]:checked')?.value,
      entitlement_reason: optional('entitlement_reason'),
      notes: optional('notes'),
    };
    if (!body.methods.length) return showErrors(form, [{ pointer: '/methods', detail: 'Choose at least one way to contact them' }]);
    const result = await submit({ method: 'PUT', path: `/api/v1/cases/${id}/victim-care`, body, ifMatch: current.etag, label: 'Victim contact preferences' });
    if (result.queued) saved(root, id, 'Preferences saved on this device');
    else if (result.ok) location.hash = `#/cases/${id}`;
    else showErrors(form, problemErrors(result), 'The preferences were not accepted');
  });
  root.append(form);
}

export async function keyDecision(root, id) {
  const form = h('form', { novalidate: true },
    h('a', { class: 'govuk-back-link', href: `#/cases/${id}` }, 'Back'),
    ...heading('Record a key decision'),
    p('The victim must be told of it. Crime decisions and orders are recorded by the service itself.'),
    radios({ id: 'decision', label: 'What was decided?', items: OFFICER_DECISIONS, small: true }),
    dateInput({ id: 'decided_at', label: 'When?', hint: 'For example, 30 11 2026 and 09:30', withTime: true }),
    button('Record the decision'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const decision = form.querySelector('input[name="decision"]:checked')?.value;
    const decidedAt = readDate(form, 'decided_at', true);
    const errors = [];
    if (!decision) errors.push({ pointer: '/decision', detail: 'Choose what was decided' });
    if (!decidedAt) errors.push({ pointer: '/decided_at', detail: 'Enter when it was decided' });
    if (errors.length) return showErrors(form, errors);
    const result = await submit({ path: `/api/v1/cases/${id}/key-decisions`, body: { decision, decided_at: decidedAt }, label: 'Key decision' });
    if (result.queued) saved(root, id, 'Decision saved on this device');
    else if (result.ok) location.hash = `#/cases/${id}`;
    else showErrors(form, problemErrors(result), 'The decision was not accepted');
  });
  root.append(form);
}

/** Who sees everything overdue in the force. */
export const OVERDUE_ROLES = ['supervisor', 'superintendent'];
const AREAS = [['intake', 'Crime decisions'], ['risk', 'Risk'], ['orders', 'Orders'], ['victim', 'Victim updates']];

export async function overdue(root) {
  root.append(...heading('Overdue in the force'));
  const result = await api('GET', '/api/v1/actions/overdue?limit=50').catch(() => null);
  if (!result?.ok) {
    root.append(p(result ? problemErrors(result)[0].detail : 'The list cannot be shown without a connection.'));
    return;
  }
  const actions = result.data.actions;
  if (!actions.length) {
    root.append(p('Nothing is overdue.'));
    return;
  }
  root.append(p('At most 50 of each kind, the longest overdue first.'));
  for (const [area, title] of AREAS) {
    const items = actions.filter((a) => a.area === area);
    if (!items.length) continue;
    root.append(h('h2', { class: 'govuk-heading-m' }, `${title} (${items.length})`),
      h('ul', { class: 'govuk-list govuk-list--bullet' }, items.map((a) =>
        h('li', {}, link(`#/cases/${a.case_id}`, a.text),
          a.due_at ? ` Due ${new Date(a.due_at).toLocaleString('en-GB')}.` : null))));
  }
}

const POWERS = {
  's2b-warrant': ['Why no warrant under section 2B?', 'The power of entry to search for evidence of stalking (PHA 1997 s.2B): say why it was not applied for.'],
  'protective-order': ['Why no protective order?', 'A Stalking Protection Order or restraining order: say why none was applied for, and what the victim said.'],
};

/** Recording why a power was not used (the protocol's "or why not"). */
export async function consider(root, id, power) {
  const [title, hint] = POWERS[power] || [];
  if (!title) return root.append(h('h1', { class: 'govuk-heading-l' }, 'Page not found'));
  const form = h('form', { novalidate: true },
    h('a', { class: 'govuk-back-link', href: `#/cases/${id}` }, 'Back'),
    ...heading(title),
    p(hint),
    textarea({ id: 'reason', label: 'Reason', rows: 4 }),
    power === 'protective-order' ? textarea({ id: 'victim_views', label: 'The victim’s views', rows: 3 }) : null,
    button('Record the reason'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { power, reason: value(form, 'reason') };
    if (power === 'protective-order') body.victim_views = value(form, 'victim_views') || null;
    const errors = [];
    if (!body.reason) errors.push({ pointer: '/reason', detail: 'Enter the reason' });
    if (power === 'protective-order' && !body.victim_views) errors.push({ pointer: '/victim_views', detail: 'Enter the victim’s views' });
    if (errors.length) return showErrors(form, errors);
    const result = await submit({ path: `/api/v1/cases/${id}/considerations`, body, label: title });
    if (result.queued) saved(root, id, 'Reason saved on this device');
    else if (result.ok) location.hash = `#/cases/${id}`;
    else showErrors(form, problemErrors(result), 'The reason was not accepted');
  });
  root.append(form);
}
