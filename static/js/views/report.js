// Reporting harassment or stalking (question pages, then check answers), adding an occurrence, and
// the crime decision with the stalking-first prompt.

import { api, problemErrors } from '../api.js';
import { submit } from '../outbox.js';
import {
  button, checkboxes, dateInput, h, heading, input, insetText, link, p, panel, radios, readDate,
  showErrors, summaryList, textarea, value, yesNo, checked,
} from '../dom.js';

const RELATIONSHIPS = [
  ['ex-partner', 'Ex-partner'], ['current-partner', 'Current partner'], ['family', 'Family member'],
  ['acquaintance', 'Acquaintance'], ['colleague', 'Colleague'], ['neighbour', 'Neighbour'],
  ['online-only', 'Known only online'], ['stranger', 'Stranger'], ['unknown', 'Not known'],
];
const CHANNELS = [
  ['in-person', 'In person'], ['phone', 'Phone calls'], ['text', 'Text messages'], ['social-media', 'Social media'],
  ['email', 'Email'], ['post', 'Post'], ['third-party', 'Through other people'],
];
const BEHAVIOURS = [
  ['following', 'Following'], ['contacting', 'Contacting or trying to contact'],
  ['publishing-material', 'Publishing material about the victim'], ['monitoring-online-use', 'Monitoring online use'],
  ['loitering', 'Loitering'], ['interfering-with-property', 'Interfering with property'],
  ['watching-or-spying', 'Watching or spying'], ['threats', 'Threats'], ['abuse', 'Abuse'], ['other', 'Other'],
];
const YES_NO = [['yes', 'Yes'], ['no', 'No']];
const yn = (v) => (v === undefined ? undefined : v ? 'yes' : 'no');

/** The report being made: in memory only, never stored on the device until it is submitted. */
let draft = {};

function occurrenceFields(prefix, o = {}) {
  return [
    dateInput({ id: `${prefix}from`, label: 'When did it happen?', hint: 'For example, 27 11 2026 and 21:30', value: o.from, withTime: true }),
    input({ id: `${prefix}location`, label: 'Where did it happen?', value: o.location }),
    radios({ id: `${prefix}channel`, label: 'How?', items: CHANNELS, value: o.channel, small: true }),
    checkboxes({ id: `${prefix}behaviours`, label: 'What did they do?', hint: 'Select all that apply', items: BEHAVIOURS, values: o.behaviours }),
    textarea({ id: `${prefix}description`, label: 'What happened, in the victim’s words', value: o.description }),
    radios({ id: `${prefix}fear_of_violence`, label: 'Did the victim fear violence would be used against them?', items: YES_NO, value: yn(o.fear_of_violence), inline: true }),
    radios({ id: `${prefix}breach_of_order`, label: 'Did this breach an order (for example a Stalking Protection Order)?', items: YES_NO, value: yn(o.breach_of_order), inline: true }),
  ];
}

function readOccurrence(form, prefix) {
  return {
    from: readDate(form, `${prefix}from`, true),
    location: value(form, `${prefix}location`),
    channel: form.querySelector(`input[name="${prefix}channel"]:checked`)?.value,
    behaviours: checked(form, `${prefix}behaviours`),
    description: value(form, `${prefix}description`),
    fear_of_violence: yesNo(form, `${prefix}fear_of_violence`),
    breach_of_order: yesNo(form, `${prefix}breach_of_order`) ?? false,
  };
}

/** What must be answered before a page can go on (the API checks everything again). */
function missing(answers, required) {
  return required.filter(([pointer, get]) => {
    const v = get(answers);
    return v === undefined || v === '' || (Array.isArray(v) && !v.length);
  }).map(([pointer, , detail]) => ({ pointer, detail }));
}

const occurrenceRequired = (base) => [
  [`${base}/from`, (o) => o.from, 'Enter when it happened'],
  [`${base}/location`, (o) => o.location, 'Enter where it happened'],
  [`${base}/channel`, (o) => o.channel, 'Select how it happened'],
  [`${base}/behaviours`, (o) => o.behaviours, 'Select what they did'],
  [`${base}/description`, (o) => o.description, 'Describe what happened'],
  [`${base}/fear_of_violence`, (o) => o.fear_of_violence, 'Select whether the victim feared violence'],
];

const STEPS = {
  victim: {
    title: 'About the victim',
    fields: (d) => [
      input({ id: 'victim.name', label: 'Full name', value: d.victim?.name, autocomplete: 'off', spellcheck: 'false' }),
      dateInput({ id: 'victim.date_of_birth', label: 'Date of birth (if known)', hint: 'For example, 27 3 1990', value: d.victim?.date_of_birth }),
    ],
    read: (form, d) => {
      d.victim = { name: value(form, 'victim.name'), date_of_birth: readDate(form, 'victim.date_of_birth') || undefined };
      return missing(d, [['/victim/name', (x) => x.victim.name, 'Enter the victim’s name']]);
    },
  },
  suspect: {
    title: 'About the suspect',
    fields: (d) => [
      input({ id: 'suspects.0.name', label: 'Suspect’s name', hint: 'Or a description, if the name is not known', value: d.suspects?.[0]?.name, autocomplete: 'off' }),
      dateInput({ id: 'suspects.0.date_of_birth', label: 'Suspect’s date of birth (if known)', value: d.suspects?.[0]?.date_of_birth }),
      input({ id: 'suspects.0.police_id', label: 'Police identifier (if known)', hint: 'For example, a PNC ID', value: d.suspects?.[0]?.police_id, width: 20 }),
      radios({ id: 'relationship', label: 'How does the suspect know the victim?', items: RELATIONSHIPS, value: d.relationship, small: true }),
      radios({ id: 'domestic_abuse', label: 'Is this domestic abuse?', items: YES_NO, value: yn(d.domestic_abuse), inline: true }),
    ],
    read: (form, d) => {
      d.suspects = [{
        name: value(form, 'suspects.0.name'),
        date_of_birth: readDate(form, 'suspects.0.date_of_birth') || undefined,
        police_id: value(form, 'suspects.0.police_id') || undefined,
      }];
      d.relationship = form.querySelector('input[name="relationship"]:checked')?.value;
      d.domestic_abuse = yesNo(form, 'domestic_abuse');
      return missing(d, [
        ['/suspects/0/name', (x) => x.suspects[0].name, 'Enter the suspect’s name or a description'],
        ['/relationship', (x) => x.relationship, 'Select how the suspect knows the victim'],
        ['/domestic_abuse', (x) => x.domestic_abuse, 'Select whether this is domestic abuse'],
      ]);
    },
  },
  occurrence: {
    title: 'What happened',
    fields: (d) => occurrenceFields('occurrence.', d.occurrence),
    read: (form, d) => {
      d.occurrence = readOccurrence(form, 'occurrence.');
      return missing(d.occurrence, occurrenceRequired('/occurrence'));
    },
  },
  four: {
    title: 'Stalking first: FOUR',
    intro: 'Is the behaviour Fixated, Obsessive, Unwanted and Repeated? Think stalking first.',
    fields: (d) => [
      radios({ id: 'four.fixated', label: 'Fixated?', items: YES_NO, value: yn(d.four?.fixated), inline: true }),
      radios({ id: 'four.obsessive', label: 'Obsessive?', items: YES_NO, value: yn(d.four?.obsessive), inline: true }),
      radios({ id: 'four.unwanted', label: 'Unwanted?', items: YES_NO, value: yn(d.four?.unwanted), inline: true }),
      radios({ id: 'four.repeated', label: 'Repeated?', items: YES_NO, value: yn(d.four?.repeated), inline: true }),
      radios({ id: 'serious_alarm_or_distress', label: 'Has it caused serious alarm or distress that affects the victim’s day-to-day life?', items: YES_NO, value: yn(d.serious_alarm_or_distress), inline: true }),
    ],
    read: (form, d) => {
      d.four = Object.fromEntries(['fixated', 'obsessive', 'unwanted', 'repeated'].map((k) => [k, yesNo(form, `four.${k}`)]));
      d.serious_alarm_or_distress = yesNo(form, 'serious_alarm_or_distress');
      return missing(d, [
        ...['fixated', 'obsessive', 'unwanted', 'repeated'].map((k) => [`/four/${k}`, (x) => x.four[k], `Select whether it is ${k}`]),
        ['/serious_alarm_or_distress', (x) => x.serious_alarm_or_distress, 'Select whether it caused serious alarm or distress'],
      ]);
    },
  },
};
const ORDER = ['victim', 'suspect', 'occurrence', 'four'];

/** Which page holds a field the API named. */
function stepFor(pointer) {
  if (pointer.startsWith('/victim')) return 'victim';
  if (pointer.startsWith('/occurrence')) return 'occurrence';
  if (pointer.startsWith('/four') || pointer.startsWith('/serious')) return 'four';
  return 'suspect';
}

let refused = null;

export async function newReport(root, step) {
  if (!step) {
    draft = {};
    refused = null;
    location.hash = '#/report/victim';
    return;
  }
  if (step === 'check') return checkAnswers(root);
  const page = STEPS[step];
  if (!page) return root.append(...heading('Page not found'));
  const index = ORDER.indexOf(step);
  const form = h('form', { novalidate: true },
    h('a', { class: 'govuk-back-link', href: index ? `#/report/${ORDER[index - 1]}` : '#/cases' }, 'Back'),
    ...heading(page.title, `Report ${index + 1} of ${ORDER.length}`),
    page.intro ? p(page.intro) : null,
    ...page.fields(draft),
    button('Continue'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const errors = page.read(form, draft);
    if (errors.length) return showErrors(form, errors);
    location.hash = draft.checked ? '#/report/check' : `#/report/${ORDER[index + 1] || 'check'}`;
  });
  root.append(form);
  if (refused) {
    const here = refused.filter((e) => stepFor(e.pointer) === step);
    if (here.length) showErrors(form, here, 'The report was not accepted');
  }
}

async function checkAnswers(root) {
  const d = draft;
  if (!d.four) {
    location.hash = '#/report/victim';
    return;
  }
  d.checked = true;
  const o = d.occurrence;
  const label = (items, v) => items.find(([k]) => k === v)?.[1] ?? '';
  root.append(h('a', { class: 'govuk-back-link', href: '#/report/four' }, 'Back'),
    ...heading('Check your answers before sending the report'),
    summaryList([
      ['Victim', d.victim.name, { href: '#/report/victim', text: 'Change' }],
      ['Victim’s date of birth', d.victim.date_of_birth ? new Date(d.victim.date_of_birth).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric' }) : 'Not known', { href: '#/report/victim', text: 'Change' }],
      ['Suspect', d.suspects[0].name, { href: '#/report/suspect', text: 'Change' }],
      ['Relationship', label(RELATIONSHIPS, d.relationship), { href: '#/report/suspect', text: 'Change' }],
      ['Domestic abuse', d.domestic_abuse ? 'Yes' : 'No', { href: '#/report/suspect', text: 'Change' }],
      ['When', new Date(o.from).toLocaleString('en-GB', { dateStyle: 'long', timeStyle: 'short' }), { href: '#/report/occurrence', text: 'Change' }],
      ['Where', o.location, { href: '#/report/occurrence', text: 'Change' }],
      ['How', label(CHANNELS, o.channel), { href: '#/report/occurrence', text: 'Change' }],
      ['What they did', o.behaviours.map((b) => label(BEHAVIOURS, b)).join(', '), { href: '#/report/occurrence', text: 'Change' }],
      ['What happened', o.description, { href: '#/report/occurrence', text: 'Change' }],
      ['Feared violence', o.fear_of_violence ? 'Yes' : 'No', { href: '#/report/occurrence', text: 'Change' }],
      ['FOUR', ['fixated', 'obsessive', 'unwanted', 'repeated'].filter((k) => d.four[k]).join(', ') || 'None', { href: '#/report/four', text: 'Change' }],
    ]));
  const form = h('form', { novalidate: true }, button('Send the report'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    form.querySelector('button').disabled = true;
    const { checked: _, ...body } = d;
    const result = await submit({ path: '/api/v1/cases', body, label: `Report: ${d.victim.name}` });
    if (result.queued) {
      draft = {};
      root.replaceChildren(panel('Report saved on this device', 'It will be sent when you have a connection.'),
        p('It is listed under ', link('#/pending', 'Waiting to send'), ' until then.'),
        p(link('#/cases', 'Back to my cases')));
      root.querySelector('h1').focus?.();
      return;
    }
    if (result.ok) {
      draft = {};
      refused = null;
      location.hash = `#/cases/${result.data.id}`;
      return;
    }
    form.querySelector('button').disabled = false;
    refused = problemErrors(result);
    if (refused.some((e) => e.pointer)) {
      location.hash = `#/report/${stepFor(refused.find((e) => e.pointer).pointer)}`;
    } else {
      showErrors(form, refused, 'The report was not accepted');
    }
  });
  root.append(form);
}

export async function addOccurrence(root, id) {
  const current = await api('GET', `/api/v1/cases/${id}`);
  if (!current.ok) return root.append(...heading('Case not available'));
  const form = h('form', { novalidate: true },
    h('a', { class: 'govuk-back-link', href: `#/cases/${id}` }, 'Back'),
    ...heading('Add an occurrence', current.data.incident_reference),
    ...occurrenceFields(''),
    button('Add the occurrence'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = readOccurrence(form, '');
    const errors = missing(body, occurrenceRequired(''));
    if (errors.length) return showErrors(form, errors);
    const result = await submit({ path: `/api/v1/cases/${id}/occurrences`, body, ifMatch: current.etag, label: `Occurrence on ${current.data.incident_reference}` });
    if (result.queued) {
      root.replaceChildren(panel('Occurrence saved on this device', 'It will be sent when you have a connection.'), p(link('#/cases', 'Back to my cases')));
    } else if (result.ok) {
      location.hash = `#/cases/${id}`;
    } else {
      showErrors(form, problemErrors(result), 'The occurrence was not accepted');
    }
  });
  root.append(form);
}

const ORDER_KINDS = {
  'stalking-protection-order': 'Stalking protection order',
  'restraining-order': 'Restraining order',
  'bail-conditions': 'Bail conditions',
};

/** An order's kind in words, for the case page and the order's own pages. */
export function orderKind(kind) {
  return ORDER_KINDS[kind] || kind;
}

/** A breach of an order: a new occurrence on its case, linked to the order. */
export async function recordBreach(root, id) {
  const current = await api('GET', `/api/v1/orders/${id}`);
  if (!current.ok) return root.append(...heading('Order not available'));
  const order = current.data;
  const form = h('form', { novalidate: true },
    h('a', { class: 'govuk-back-link', href: `#/cases/${order.case_id}` }, 'Back'),
    ...heading('Record a breach', orderKind(order.kind)),
    insetText('The breach is added to the case as a new occurrence, linked to the order.'),
    // Every field of an occurrence but whether it breached an order: it did.
    ...occurrenceFields('').slice(0, -1),
    button('Record the breach'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = readOccurrence(form, '');
    delete body.breach_of_order;
    const errors = missing(body, occurrenceRequired(''));
    if (errors.length) return showErrors(form, errors);
    const result = await submit({ path: `/api/v1/orders/${id}/breaches`, body, ifMatch: current.etag, label: `Breach of ${orderKind(order.kind).toLowerCase()}` });
    if (result.queued) {
      root.replaceChildren(panel('Breach saved on this device', 'It will be sent when you have a connection.'), p(link('#/cases', 'Back to my cases')));
    } else if (result.ok) {
      location.hash = `#/cases/${order.case_id}`;
    } else {
      showErrors(form, problemErrors(result), 'The breach was not accepted');
    }
  });
  root.append(form);
}

/** The subject of an SPO has notified their name and home address (SPA 2019 s.9). */
export async function notificationReceived(root, id) {
  const current = await api('GET', `/api/v1/orders/${id}`);
  if (!current.ok) return root.append(...heading('Order not available'));
  const order = current.data;
  const form = h('form', { novalidate: true },
    h('a', { class: 'govuk-back-link', href: `#/cases/${order.case_id}` }, 'Back'),
    ...heading('Notification received', orderKind(order.kind)),
    p(`Due by ${new Date(order.notification.due_at).toLocaleString('en-GB')}.`),
    dateInput({ id: 'notified_at', label: 'When did they notify their name and home address?', hint: 'For example, 27 11 2026 and 10:15', withTime: true }),
    button('Record the notification'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const notifiedAt = readDate(form, 'notified_at', true);
    if (!notifiedAt) return showErrors(form, [{ pointer: '/notified_at', detail: 'Enter when they notified' }]);
    const result = await submit({ path: `/api/v1/orders/${id}/events`, body: { type: 'notified', notified_at: notifiedAt }, ifMatch: current.etag, label: 'Notification received' });
    if (result.queued) {
      root.replaceChildren(panel('Notification saved on this device', 'It will be sent when you have a connection.'), p(link('#/cases', 'Back to my cases')));
    } else if (result.ok) {
      location.hash = `#/cases/${order.case_id}`;
    } else {
      showErrors(form, problemErrors(result), 'The notification was not accepted');
    }
  });
  root.append(form);
}

const CLASSIFICATIONS = [
  ['stalking-s4a', 'Stalking involving fear of violence or serious alarm or distress (PHA s.4A)'],
  ['stalking-s2a', 'Stalking (PHA s.2A)'],
  ['harassment-s4', 'Harassment: putting people in fear of violence (PHA s.4)'],
  ['harassment-s2', 'Harassment (PHA s.2)'],
  ['controlling-or-coercive-behaviour', 'Controlling or coercive behaviour'],
  ['malicious-communications', 'Malicious communications'],
  ['threats-to-kill', 'Threats to kill'],
  ['criminal-damage', 'Criminal damage'],
  ['assault', 'Assault'],
  ['sexual-offence', 'Sexual offence'],
  ['other-offence', 'Another offence'],
];

export async function decision(root, id) {
  const current = await api('GET', `/api/v1/cases/${id}`);
  if (!current.ok) return root.append(...heading('Case not available'));
  const c = current.data;
  const form = h('form', { novalidate: true },
    h('a', { class: 'govuk-back-link', href: `#/cases/${id}` }, 'Back'),
    ...heading('Record the crime decision', c.incident_reference),
    c.suggestion.stalking_indicated
      ? insetText(h('strong', {}, 'Think stalking first. '), 'The facts indicate stalking: ', c.suggestion.reasons.join(' '),
        ' If you record another crime, you must say why stalking is ruled out.')
      : insetText(c.suggestion.reasons.join(' ')),
    radios({ id: 'outcome', label: 'Decision', items: [['recorded', 'Record a crime'], ['no-crime', 'No crime']], value: 'recorded' }),
    radios({ id: 'principal', label: 'Principal crime', items: CLASSIFICATIONS, small: true, value: c.suggestion.suggested }),
    textarea({ id: 'stalking_ruled_out_reason', label: 'Why is stalking ruled out?', hint: 'Required when the facts indicate stalking and you record another crime' }),
    textarea({ id: 'reasons', label: 'Reasons for no crime', hint: 'Only for a no-crime decision' }),
    button('Record the decision'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const outcome = form.querySelector('input[name="outcome"]:checked')?.value;
    const body = outcome === 'no-crime'
      ? { outcome, reasons: value(form, 'reasons') }
      : { outcome, principal: form.querySelector('input[name="principal"]:checked')?.value, stalking_ruled_out_reason: value(form, 'stalking_ruled_out_reason') || undefined };
    const result = await api('POST', `/api/v1/cases/${id}/crime-decision`, { body, headers: { 'if-match': current.etag } })
      .catch(() => ({ ok: false, status: 0, data: { detail: 'There is no connection: a crime decision needs one. Try again when you have a signal.' } }));
    if (result.ok) location.hash = `#/cases/${id}`;
    else showErrors(form, problemErrors(result), 'The decision was not accepted');
  });
  root.append(form);
}
