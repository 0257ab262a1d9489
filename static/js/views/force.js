// The force's view (analysts, supervisors, superintendents): the problem profile with its charts —
// drawn by the app as SVG, each with its data as a table beside it and as CSV —, protocol compliance
// by check (the same way), and the action plan,
// with its export for the performance meeting and, for supervisors and superintendents, updates.

import { api, problemErrors, session } from '../api.js';
import {
  button, h, heading, input, link, p, radios, showErrors, summaryList, tag, textarea, value, words,
} from '../dom.js';

/** Roles that see the force's view, and those that update the plan (as the permission table has them). */
export const FORCE_ROLES = ['analyst', 'supervisor', 'superintendent'];
const PLAN_UPDATERS = ['supervisor', 'superintendent'];

const CHARTS = [
  ['monthly', 'Recorded offences by month'],
  ['classification', 'Recorded offences by classification'],
  ['risk', 'Recorded offences by risk level'],
  ['decision-time', 'Time from report to crime decision'],
];

const month = (d) => `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;

/** The twelve complete months before this one. */
function lastTwelveMonths() {
  const now = new Date();
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 12, 1));
  return [month(from), month(to)];
}

const figure = (x, unit = '') => (x === null || x === undefined ? 'Not known' : `${x.toLocaleString('en-GB')}${unit}`);

/** A chart's data as a table, the accessible twin of its image. */
function dataTable(chart, caption) {
  return h('table', { class: 'govuk-table' },
    h('caption', { class: 'govuk-table__caption govuk-table__caption--s' }, caption),
    h('thead', { class: 'govuk-table__head' }, h('tr', { class: 'govuk-table__row' },
      h('th', { scope: 'col', class: 'govuk-table__header' }, 'Category'),
      chart.series.map((s) => h('th', { scope: 'col', class: 'govuk-table__header govuk-table__header--numeric' }, s.name)))),
    h('tbody', { class: 'govuk-table__body' }, chart.categories.map((c, i) => h('tr', { class: 'govuk-table__row' },
      h('th', { scope: 'row', class: 'govuk-table__header' }, words(c)),
      chart.series.map((s) => h('td', { class: 'govuk-table__cell govuk-table__cell--numeric' }, figure(s.values[i])))))));
}

/** The same series the server draws, from the profile (so the table and the image agree). */
function chartData(profile, name) {
  const both = (pick) => [profile.figures, profile.previous_year].filter(Boolean)
    .map((f) => ({ name: `${f.period.from} to ${f.period.to}`, values: pick(f).map((c) => c.count) }));
  switch (name) {
    case 'monthly': return {
      categories: profile.figures.by_month.map((m) => m.month),
      series: both((f) => f.by_month),
    };
    case 'classification': return { categories: profile.figures.by_classification.map((c) => c.name), series: both((f) => f.by_classification) };
    case 'risk': return { categories: profile.figures.risk_levels.map((c) => c.name), series: both((f) => f.risk_levels) };
    default: return { categories: profile.figures.decisions.bands.map((c) => c.name), series: both((f) => f.decisions.bands) };
  }
}

export async function forceView(root, query) {
  const params = new URLSearchParams(query || '');
  const [defaultFrom, defaultTo] = lastTwelveMonths();
  const from = params.get('from') || defaultFrom;
  const to = params.get('to') || defaultTo;
  const form = h('form', { novalidate: true, class: 'govuk-!-margin-bottom-6' },
    ...heading('Force view', 'Harassment and stalking problem profile'),
    p('Aggregates only: no person or case is shown. Offences are counted in the month of their crime decision.'),
    input({ id: 'from', label: 'From (month)', hint: 'For example, 2025-07', value: from, width: 10 }),
    input({ id: 'to', label: 'To (month, included)', hint: 'For example, 2026-06', value: to, width: 10 }),
    button('Show the profile'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = `#/force?from=${encodeURIComponent(value(form, 'from'))}&to=${encodeURIComponent(value(form, 'to'))}`;
  });
  root.append(form, p(link('#/plan', 'The action plan')));
  const query2 = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&compare=previous-year`;
  const result = await api('GET', `/api/v1/profile?${query2}`);
  if (!result.ok) {
    showErrors(form, problemErrors(result).map((e) => ({ ...e, pointer: e.detail.includes('`to`') ? '/to' : '/from' })));
    return;
  }
  const profile = result.data;
  const f = profile.figures;
  const change = profile.year_on_year?.percent;
  root.append(
    h('h2', { class: 'govuk-heading-m' }, `${f.period.from} to ${f.period.to}`),
    summaryList([
      ['Recorded offences', figure(f.recorded_offences)],
      ['The same months a year earlier', figure(profile.previous_year?.recorded_offences)],
      ['Change', change === null || change === undefined ? 'Not known' : `${change > 0 ? '+' : ''}${change}%`],
      ['Rate per 1,000 people', f.rate_per_1000 === null ? 'Not known (the force population is not set)' : figure(f.rate_per_1000)],
      ['Domestic abuse', `${figure(f.domestic_abuse.domestic)} domestic, ${figure(f.domestic_abuse.non_domestic)} not`],
      ['Repeat victims', `${figure(f.victims.repeat)} of ${figure(f.victims.total)} victims`],
      ['Serial perpetrators', `${figure(f.perpetrators.repeat)} of ${figure(f.perpetrators.total)} suspects`],
      ['Median time to crime decision', f.decisions.median_hours === null ? 'No decisions' : `${f.decisions.median_hours} hours`],
      ['Crime decisions within 24 hours', f.decisions.percent_within_24_hours === null ? 'No decisions' : `${f.decisions.percent_within_24_hours}% (${figure(f.decisions.within_24_hours)} of ${figure(f.decisions.total)})`],
      ['Police Information Notices', `${figure(f.pins.requested)} requested, ${figure(f.pins.refused)} refused, ${figure(f.pins.authorised)} authorised`],
      ['s.2B warrants', `${figure(f.s2b_warrants.applied)} applied for, ${figure(f.s2b_warrants.granted)} granted, ${figure(f.s2b_warrants.executed)} executed, ${figure(f.s2b_warrants.compliant)} compliant`],
    ]));
  for (const [name, title] of CHARTS) {
    const src = `/api/v1/profile/charts/${name}?${query2}`;
    root.append(h('section', { class: 'force-chart', 'aria-labelledby': `heading-${name}` },
      h('h2', { class: 'govuk-heading-m', id: `heading-${name}` }, title),
      h('img', { src, alt: `${title}: the figures are in the table below.`, class: 'force-chart__image', width: 640 }),
      h('div', { class: 'force-table-wrapper', tabindex: '0', role: 'region', 'aria-label': `${title}: data` }, dataTable(chartData(profile, name), `${title}, the chart's data`)),
      p(h('a', { class: 'govuk-link', href: `${src}&format=csv`, download: `${name}.csv` }, `Download the data (CSV)`, h('span', { class: 'govuk-visually-hidden' }, `: ${title}`)))));
  }
  await complianceChart(root, from, to);
}

/** Protocol compliance by check: the cases reported in the period, drawn by the app, with its table and CSV. */
async function complianceChart(root, from, to) {
  const title = 'Protocol compliance by check';
  const query = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
  const section = h('section', { class: 'force-chart', 'aria-labelledby': 'heading-compliance' },
    h('h2', { class: 'govuk-heading-m', id: 'heading-compliance' }, title));
  root.append(section);
  const result = await api('GET', `/api/v1/compliance/summary?${query}`);
  if (!result.ok) {
    section.append(p(problemErrors(result)[0].detail));
    return;
  }
  const summary = result.data;
  const src = `/api/v1/compliance/summary?${query}&format=svg`;
  const percent = (r) => (r === null || r === undefined ? 'None decided' : `${Math.round(r * 1000) / 10}%`);
  const num = (cls) => ({ class: `govuk-table__${cls} govuk-table__${cls}--numeric` });
  section.append(
    p(`The national stalking protocol's checks for the ${figure(summary.cases)} cases reported from ${summary.period.from} to ${summary.period.to} (by month of report), as of ${summary.as_of.slice(0, 10)}. The rate is met as a share of met and not met.`),
    h('img', { src, alt: `${title}: the figures are in the table below.`, class: 'force-chart__image', width: 640 }),
    h('div', { class: 'force-table-wrapper', tabindex: '0', role: 'region', 'aria-label': `${title}: data` },
      h('table', { class: 'govuk-table' },
        h('caption', { class: 'govuk-table__caption govuk-table__caption--s' }, `${title}, the chart's data`),
        h('thead', { class: 'govuk-table__head' }, h('tr', { class: 'govuk-table__row' },
          h('th', { scope: 'col', class: 'govuk-table__header' }, 'Check'),
          ['Met', 'Not met', 'Pending', 'Not applicable', 'Rate'].map((c) => h('th', { scope: 'col', ...num('header') }, c)))),
        h('tbody', { class: 'govuk-table__body' }, summary.checks.map((c) => h('tr', { class: 'govuk-table__row' },
          h('th', { scope: 'row', class: 'govuk-table__header' }, c.label),
          [c.met, c.not_met, c.pending, c.not_applicable].map((n) => h('td', num('cell'), figure(n))),
          h('td', num('cell'), percent(c.rate))))))),
    p(h('a', { class: 'govuk-link', href: `/api/v1/compliance/summary?${query}&format=csv`, download: 'compliance.csv' },
      'Download the data (CSV)', h('span', { class: 'govuk-visually-hidden' }, `: ${title}`))));
}

const RAG = { red: 'red', amber: 'yellow', green: 'green', complete: 'blue' };

function evidenceText(e) {
  if (!e) return '';
  if (e.figure === null) return `${e.label}: ${e.missing}`;
  return `${e.label}: ${e.figure}${e.unit === 'percent' ? '%' : ''}`;
}

export async function actionPlan(root) {
  const result = await api('GET', '/api/v1/plan');
  if (!result.ok) return root.append(...heading('The action plan is not available'), p(problemErrors(result)[0].detail));
  const plan = result.data;
  const canUpdate = PLAN_UPDATERS.includes(session.get()?.role);
  root.append(
    ...heading(plan.title, 'Force view'),
    p(`Monitored by ${plan.monitored_by}. Evidence covers ${plan.evidence_period.from} to ${plan.evidence_period.to}.`),
    p(h('a', { class: 'govuk-link', href: '/api/v1/plan?format=csv', download: 'action-plan.csv' }, 'Download the plan (CSV)'),
      ' · ', h('a', { class: 'govuk-link', href: '/api/v1/plan?format=html', target: '_blank', rel: 'noopener' }, 'Printable page (opens in a new tab)')));
  for (const w of plan.workstreams) {
    root.append(h('h2', { class: 'govuk-heading-m' }, w.name), h('div', { class: 'force-table-wrapper', tabindex: '0', role: 'region', 'aria-label': `${w.name}: actions` },
      h('table', { class: 'govuk-table' },
        h('caption', { class: 'govuk-table__caption govuk-visually-hidden' }, `${w.name}: actions`),
        h('thead', { class: 'govuk-table__head' }, h('tr', { class: 'govuk-table__row' },
          ['Action', 'Owner and due', 'Status', 'Evidence and latest update'].map((c) => h('th', { scope: 'col', class: 'govuk-table__header' }, c)))),
        h('tbody', { class: 'govuk-table__body' }, w.actions.map((a) => h('tr', { class: 'govuk-table__row' },
          h('td', { class: 'govuk-table__cell' }, a.title),
          h('td', { class: 'govuk-table__cell' }, a.owner, h('br'), `Due ${a.due}${a.overdue ? ' (overdue)' : ''}`),
          h('td', { class: 'govuk-table__cell' }, tag(words(a.status), RAG[a.status])),
          h('td', { class: 'govuk-table__cell' },
            evidenceText(a.evidence),
            a.updates[0] ? [h('br'), `${a.updates[0].at.slice(0, 10)}: ${a.updates[0].note}`] : null,
            canUpdate ? [h('br'), h('a', { class: 'govuk-link', href: `#/plan/${a.id}/${a.version}` }, 'Add an update', h('span', { class: 'govuk-visually-hidden' }, `: ${a.title}`))] : null)))))));
  }
}

export async function updateAction(root, id, version) {
  const form = h('form', { novalidate: true },
    h('a', { class: 'govuk-back-link', href: '#/plan' }, 'Back'),
    ...heading('Update an action', id),
    radios({ id: 'status', label: 'Status', items: [['red', 'Red'], ['amber', 'Amber'], ['green', 'Green'], ['complete', 'Complete']], small: true }),
    textarea({ id: 'note', label: 'What was done, or why the status changed' }),
    button('Save the update'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const status = form.querySelector('input[name="status"]:checked')?.value;
    if (!status) return showErrors(form, [{ pointer: '/status', detail: 'Select a status.' }]);
    const result = await api('POST', `/api/v1/plan/actions/${encodeURIComponent(id)}/updates`,
      { body: { status, note: value(form, 'note') }, headers: { 'if-match': `"v${version}"` } });
    if (result.ok) { location.hash = '#/plan'; return; }
    showErrors(form, problemErrors(result));
  });
  root.append(form);
}
