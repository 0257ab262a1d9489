// Retention reviews (MoPI) for supervisors and superintendents: the cases due for review, and a review
// decision on one — retain with the reason (and when to review again), or dispose of it, which erases
// its personal data and cannot be undone.

import { api, problemErrors } from '../api.js';
import {
  button, dateInput, h, heading, p, radios, readDate, showErrors, summaryList, textarea, value, warning,
} from '../dom.js';

/** Roles that decide retention reviews (as the permission table has them). */
export const RETENTION_ROLES = ['supervisor', 'superintendent'];

const GROUPS = {
  group1: 'Group 1: public protection',
  group2: 'Group 2: serious offences',
  group3: 'Group 3: other offences',
  group4: 'Group 4: undetected crime',
};

export async function reviewsDue(root) {
  const result = await api('GET', '/api/v1/retention/due?limit=100');
  if (!result.ok) return root.append(...heading('Reviews due are not available'), p(problemErrors(result)[0].detail));
  const cases = result.data.cases;
  root.append(...heading('Retention reviews due'),
    p('Cases whose review period has run since their last activity (MoPI). Review each: retain it with the reason, or dispose of it.'));
  if (!cases.length) return root.append(p('No case is due for review.'));
  root.append(h('div', { class: 'force-table-wrapper', tabindex: '0', role: 'region', 'aria-label': 'Cases due for review' },
    h('table', { class: 'govuk-table' },
      h('caption', { class: 'govuk-table__caption govuk-table__caption--m' }, `${cases.length} case${cases.length === 1 ? '' : 's'} due`),
      h('thead', { class: 'govuk-table__head' }, h('tr', { class: 'govuk-table__row' },
        ['Case', 'Review group', 'Last activity', 'Review due'].map((c) => h('th', { scope: 'col', class: 'govuk-table__header' }, c)))),
      h('tbody', { class: 'govuk-table__body' }, cases.map((c) => h('tr', { class: 'govuk-table__row' },
        h('td', { class: 'govuk-table__cell' },
          h('a', { class: 'govuk-link', href: `#/retention/${c.case_id}` }, c.incident_reference,
            h('span', { class: 'govuk-visually-hidden' }, ': review')),
          c.crime_reference ? [h('br'), c.crime_reference] : null),
        h('td', { class: 'govuk-table__cell' }, GROUPS[c.review_group]),
        h('td', { class: 'govuk-table__cell' }, c.clear_from),
        h('td', { class: 'govuk-table__cell' }, c.next_review_on)))))));
}

export async function reviewCase(root, id) {
  const result = await api('GET', `/api/v1/retention/cases/${encodeURIComponent(id)}`);
  if (!result.ok) return root.append(...heading('This case is not available'), p(problemErrors(result)[0].detail));
  const r = result.data;
  const etag = result.etag;
  root.append(h('a', { class: 'govuk-back-link', href: '#/retention' }, 'Back'),
    ...heading('Review a case for retention', r.incident_reference),
    summaryList([
      ['Crime reference', r.crime_reference || 'None (not recorded as a crime)'],
      ['Review group', GROUPS[r.review_group] + (r.override_group ? ' (set at a review)' : '')],
      ['Last activity', r.clear_from],
      ['Review due', r.next_review_on],
      ['Earlier reviews', r.reviews.length ? r.reviews.map((v) => `${v.decided_at.slice(0, 10)}: ${v.decision}${v.reason ? ` (${v.reason})` : ''}`).join('; ') : 'None'],
    ]));
  if (r.disposed_at) return root.append(p(`Disposed of on ${r.disposed_at.slice(0, 10)}.`));
  const form = h('form', { novalidate: true },
    radios({ id: 'decision', label: 'Decision', items: [['retain', 'Retain the case'], ['dispose', 'Dispose of the case']], legendSize: 'm' }),
    textarea({ id: 'reason', label: 'Reason', hint: 'Required to retain: why the case is still needed for a policing purpose (National Retention Assessment Criteria). Name no one: the reason is kept after disposal.' }),
    dateInput({ id: 'next_review_on', label: 'Next review (to retain; optional)', hint: 'Leave blank for the review group\'s full period from today.' }),
    warning('Disposal erases the personal data of the case, its people, assessments, orders and searches. It cannot be undone.'),
    button('Record the decision'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const decision = form.querySelector('input[name="decision"]:checked')?.value;
    if (!decision) return showErrors(form, [{ pointer: '/decision', detail: 'Select retain or dispose.' }]);
    const body = { decision };
    const reason = value(form, 'reason');
    if (reason) body.reason = reason;
    const next = readDate(form, 'next_review_on');
    if (next && decision === 'retain') body.next_review_on = next;
    const sent = await api('POST', `/api/v1/retention/cases/${encodeURIComponent(id)}/reviews`,
      { body, headers: { 'if-match': etag } });
    if (sent.ok) { location.hash = '#/retention'; return; }
    showErrors(form, problemErrors(sent));
  });
  root.append(form);
}
