// Recording a search of premises (PHA s.2B or PACE warrant, PACE ss.17/18/32, or consent), and the
// record's compliance with each rule.

import { api, problemErrors, session } from '../api.js';
import { submit } from '../outbox.js';
import {
  button, dateInput, h, heading, input, link, p, panel, radios, readDate, select, showErrors, tag, textarea, value, yesNo,
} from '../dom.js';

const POWERS = [
  ['pha-s2b-warrant', 'Warrant under PHA 1997 s.2B (stalking)'],
  ['pace-s8-warrant', 'Warrant under PACE s.8'],
  ['pace-s17', 'PACE s.17 (entry to arrest or save life)'],
  ['pace-s18', 'PACE s.18 (after arrest)'],
  ['pace-s32', 'PACE s.32 (where arrested)'],
  ['consent', 'Written consent of the occupier'],
];
const RANKS = ['constable', 'sergeant', 'inspector', 'chief-inspector', 'superintendent', 'chief-superintendent']
  .map((r) => [r, r.replace('-', ' ').replace(/^./, (c) => c.toUpperCase())]);
const YES_NO = [['yes', 'Yes'], ['no', 'No']];
const lines = (text) => text.split('\n').map((l) => l.trim()).filter(Boolean);

function fieldset(id, legend, ...children) {
  return h('fieldset', { class: 'govuk-fieldset', id: `${id}-section` },
    h('legend', { class: 'govuk-fieldset__legend govuk-fieldset__legend--m' }, legend), ...children);
}

const officer = (id, label) => [
  input({ id: `${id}.id`, label: `${label}: collar or warrant number`, width: 10 }),
  select({ id: `${id}.rank`, label: `${label}: rank`, options: RANKS, value: 'constable' }),
];

export async function recordSearch(root, caseId) {
  const current = await api('GET', `/api/v1/cases/${caseId}`);
  if (!current.ok) return root.append(...heading('Case not available'));
  const form = h('form', { novalidate: true },
    h('a', { class: 'govuk-back-link', href: `#/cases/${caseId}` }, 'Back'),
    ...heading('Record a search of premises', current.data.incident_reference),
    radios({ id: 'power', label: 'Power used', items: POWERS, small: true }),
    input({ id: 'premises.address', label: 'Address of the premises' }),
    fieldset('warrant', 'The warrant',
      ...officer('application.applicant', 'Applicant'),
      ...officer('application.authorised_by', 'Authorising officer (inspector or above)'),
      dateInput({ id: 'application.authorised_at', label: 'When the application was authorised', withTime: true }),
      textarea({ id: 'application.grounds', label: 'Grounds for the application' }),
      textarea({ id: 'application.articles_sought', label: 'Articles sought', hint: 'One per line', rows: 3 }),
      radios({ id: 'application.entries', label: 'Entries', items: [['single', 'Single entry'], ['multiple', 'Multiple entries']], value: 'single', inline: true }),
      input({ id: 'application.court', label: 'Court' }),
      dateInput({ id: 'application.applied_at', label: 'When the application was made', withTime: true }),
      radios({ id: 'decision.outcome', label: 'The court’s decision', items: [['granted', 'Granted'], ['refused', 'Refused']], inline: true }),
      dateInput({ id: 'decision.decided_at', label: 'When the court decided', withTime: true }),
      textarea({ id: 'decision.reasons', label: 'The court’s reasons (if refused)', rows: 2 }),
      input({ id: 'warrant.reference', label: 'Warrant reference', width: 20 }),
      dateInput({ id: 'warrant.issued_on', label: 'Date of issue' })),
    fieldset('authority', 'Grounds for using the power',
      textarea({ id: 'authority.grounds', label: 'Why the power applied' })),
    fieldset('consent', 'Consent',
      input({ id: 'consent.given_by', label: 'Who gave consent' }),
      dateInput({ id: 'consent.given_at', label: 'When consent was given', withTime: true }),
      radios({ id: 'consent.in_writing', label: 'Was consent given in writing?', items: YES_NO, inline: true })),
    fieldset('execution', 'The search',
      dateInput({ id: 'execution.started_at', label: 'When the search started', withTime: true }),
      dateInput({ id: 'execution.ended_at', label: 'When the search ended', withTime: true }),
      ...officer('execution.officer_in_charge', 'Officer in charge'),
      textarea({ id: 'execution.officers', label: 'Other officers who searched', hint: 'Collar numbers, one per line', rows: 2 }),
      textarea({ id: 'execution.people_on_premises', label: 'People on the premises', hint: 'One per line', rows: 2 }),
      radios({ id: 'execution.occupier_present', label: 'Was the occupier present?', items: YES_NO, inline: true }),
      textarea({ id: 'execution.seized', label: 'Items seized', hint: 'One per line: description | exhibit reference | grounds, if outside the warrant or power', rows: 3 }),
      radios({ id: 'execution.sought_found', label: 'Were the articles sought found? (warrants)', items: YES_NO, inline: true }),
      radios({ id: 'execution.force_used', label: 'Was force used?', items: YES_NO, inline: true }),
      textarea({ id: 'execution.force_reason', label: 'Why force was used', rows: 2 }),
      radios({ id: 'execution.notice.given', label: 'Was the Notice of Powers and Rights given to the occupier?', items: YES_NO, inline: true }),
      input({ id: 'execution.notice.not_given_reason', label: 'If not, why not' }),
      input({ id: 'execution.notice.left_at', label: 'If the occupier was absent, where the Notice was left' })),
    fieldset('register', 'Search register',
      input({ id: 'register.station', label: 'Station' }),
      input({ id: 'register.entry', label: 'Register entry', width: 20 })),
    button('Save the search record'));

  const sections = { warrant: ['pha-s2b-warrant', 'pace-s8-warrant'], authority: ['pace-s17', 'pace-s18', 'pace-s32'], consent: ['consent'] };
  const showFor = () => {
    const power = form.querySelector('input[name="power"]:checked')?.value;
    for (const [section, powers] of Object.entries(sections)) form.querySelector(`#${section}-section`).hidden = !powers.includes(power);
  };
  form.addEventListener('change', showFor);
  showFor();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const power = form.querySelector('input[name="power"]:checked')?.value;
    if (!power) return showErrors(form, [{ pointer: '/power', detail: 'Select the power used' }]);
    const v = (id) => value(form, id) || undefined;
    const who = (id) => ({ id: value(form, `${id}.id`), rank: value(form, `${id}.rank`) });
    const body = { case_id: caseId, power, premises: { address: value(form, 'premises.address') } };
    if (sections.warrant.includes(power)) {
      body.application = {
        applicant: who('application.applicant'), authorised_by: value(form, 'application.authorised_by.id') ? who('application.authorised_by') : undefined,
        authorised_at: readDate(form, 'application.authorised_at', true) || undefined, grounds: value(form, 'application.grounds'),
        articles_sought: lines(value(form, 'application.articles_sought')), entries: form.querySelector('input[name="application.entries"]:checked')?.value ?? 'single',
        court: value(form, 'application.court'), applied_at: readDate(form, 'application.applied_at', true),
      };
      const outcome = form.querySelector('input[name="decision.outcome"]:checked')?.value;
      if (outcome) body.decision = { outcome, decided_at: readDate(form, 'decision.decided_at', true), reasons: v('decision.reasons') };
      if (v('warrant.reference')) body.warrant = { reference: value(form, 'warrant.reference'), issued_on: readDate(form, 'warrant.issued_on') };
    }
    if (sections.authority.includes(power)) body.authority = { grounds: value(form, 'authority.grounds') };
    if (power === 'consent') body.consent = { given_by: value(form, 'consent.given_by'), given_at: readDate(form, 'consent.given_at', true), in_writing: yesNo(form, 'consent.in_writing') ?? false };
    const started = readDate(form, 'execution.started_at', true);
    if (started) {
      body.execution = {
        started_at: started, ended_at: readDate(form, 'execution.ended_at', true) || undefined,
        officer_in_charge: who('execution.officer_in_charge'),
        officers: lines(value(form, 'execution.officers')).map((id) => ({ id, rank: 'constable' })),
        people_on_premises: lines(value(form, 'execution.people_on_premises')),
        occupier_present: yesNo(form, 'execution.occupier_present') ?? false,
        seized: lines(value(form, 'execution.seized')).map((line) => {
          const [description, exhibit, grounds] = line.split('|').map((x) => x.trim());
          return { description, exhibit_reference: exhibit || undefined, within_authority: !grounds, grounds: grounds || undefined };
        }),
        sought_found: yesNo(form, 'execution.sought_found'),
        force_used: yesNo(form, 'execution.force_used') ?? false, force_reason: v('execution.force_reason'),
        notice: form.querySelector('input[name="execution.notice.given"]:checked')
          ? { given: yesNo(form, 'execution.notice.given'), not_given_reason: v('execution.notice.not_given_reason'), left_at: v('execution.notice.left_at') }
          : undefined,
      };
    }
    if (v('register.entry')) body.register = { station: value(form, 'register.station'), entry: value(form, 'register.entry') };
    const result = await submit({ path: '/api/v1/searches', body, label: `Search at ${body.premises.address}` });
    if (result.queued) {
      root.replaceChildren(panel('Search record saved on this device', 'It will be sent when you have a connection.'), p(link('#/cases', 'Back to my cases')));
    } else if (result.ok) {
      location.hash = `#/searches/${result.data.id}`;
    } else {
      showErrors(form, problemErrors(result), 'The search record was not accepted');
    }
  });
  root.append(form);
}

const OUTCOME = { met: ['Met', 'green'], breached: ['Breached', 'red'], pending: ['Not yet due', 'blue'], 'not-applicable': ['Not applicable', 'grey'] };

export async function searchResult(root, id) {
  const loaded = await api('GET', `/api/v1/searches/${id}`);
  if (!loaded.ok) return root.append(...heading('Search record not available'), p(problemErrors(loaded)[0].detail));
  const s = loaded.data;
  const status = { compliant: ['Compliant', 'green'], 'in-progress': ['In progress', 'blue'], 'non-compliant': ['Not compliant', 'red'] }[s.compliance.status];
  root.append(...heading(s.record.premises.address, 'Search record'),
    p(tag(status[0], status[1]), ` Stage: ${s.compliance.stage}.`),
    h('table', { class: 'govuk-table' },
      h('caption', { class: 'govuk-table__caption govuk-table__caption--m' }, 'Compliance'),
      h('thead', { class: 'govuk-table__head' }, h('tr', { class: 'govuk-table__row' },
        h('th', { class: 'govuk-table__header', scope: 'col' }, 'Rule'), h('th', { class: 'govuk-table__header', scope: 'col' }, 'Result'))),
      h('tbody', { class: 'govuk-table__body' }, s.compliance.rules.map((r) => h('tr', { class: 'govuk-table__row' },
        h('td', { class: 'govuk-table__cell' }, r.title),
        h('td', { class: 'govuk-table__cell' }, tag(...OUTCOME[r.outcome]), ' ', r.detail))))),
    p(link(`#/cases/${s.record.case_id}`, 'Back to the case')));
  const form = completion(s, loaded.etag, id);
  if (form) root.insertBefore(form, root.lastChild);
}

/**
 * The next step a warrant search still needs — the endorsement and return to court, or the register
 * entry — as an amendment: the record itself is never edited; the original stays readable.
 */
function completion(s, etag, id) {
  const warrant = s.record.power.endsWith('-warrant');
  const fields = [];
  if (warrant && s.record.execution && !s.record.returned_to_court) {
    fields.push(
      dateInput({ id: 'endorsement.endorsed_at', label: 'When the warrant was endorsed', withTime: true }),
      dateInput({ id: 'returned_to_court.returned_at', label: 'When it was returned to the court', withTime: true }));
  }
  if (s.record.execution && !s.record.register) {
    fields.push(input({ id: 'register.station', label: 'Search register: station' }),
      input({ id: 'register.entry', label: 'Search register: entry', width: 20 }));
  }
  if (!fields.length) return null;
  const form = h('form', { novalidate: true },
    h('h2', { class: 'govuk-heading-m' }, 'Complete the record'),
    p('This is added as an amendment, with your name and the time; the record as first made stays readable.'),
    ...fields, button('Add to the record'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const me = session.get()?.subject;
    const changes = {};
    const endorsed = readDate(form, 'endorsement.endorsed_at', true);
    const returned = readDate(form, 'returned_to_court.returned_at', true);
    if (endorsed) changes.endorsement = { endorsed_at: endorsed, by: me };
    if (returned) changes.returned_to_court = { returned_at: returned, by: me };
    if (value(form, 'register.entry')) changes.register = { station: value(form, 'register.station'), entry: value(form, 'register.entry') };
    if (!Object.keys(changes).length) return showErrors(form, [{ pointer: `/${fields[0].dataset.field.replaceAll('.', '/')}`, detail: 'Enter what you are adding to the record' }]);
    const reason = changes.returned_to_court ? 'Warrant endorsed and returned to court.' : 'Search register entry made.';
    const result = await api('POST', `/api/v1/searches/${id}/amendments`, { body: { reason, changes }, headers: { 'if-match': etag } })
      .catch(() => ({ ok: false, status: 0, data: { detail: 'There is no connection: try again when you have a signal.' } }));
    if (result.ok) {
      location.hash = `#/searches/${id}?v=${result.data.version}`;
    } else {
      // The API names fields under /changes; the form's fields are the record's.
      showErrors(form, problemErrors(result).map((e) => ({ ...e, pointer: e.pointer.replace(/^\/changes/, '') })), 'The record was not amended');
    }
  });
  return form;
}
