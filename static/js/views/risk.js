// Risk assessment: the questions come from the instruments API (the page never repeats them), one
// section per page, then the result with its reasons and the actions it requires.

import { api, problemErrors } from '../api.js';
import { submit } from '../outbox.js';
import { button, details, h, heading, link, p, panel, radios, showErrors, summaryList, tag, textarea, value, words } from '../dom.js';

const ANSWERS = [['yes', 'Yes'], ['no', 'No'], ['dont_know', 'Don’t know'], ['not_asked', 'Not asked']];
const LEVELS = [['', 'No: keep the level the answers give'], ['medium', 'Medium'], ['high', 'High']];

/** Answers in progress, in memory only: { key, answers, judgement }. */
let progress = null;

export async function assess(root, caseId, id, version, pageText) {
  const loaded = await api('GET', `/api/v1/instruments/${id}/${version}`);
  if (!loaded.ok) return root.append(...heading('This questionnaire is not available'), p(problemErrors(loaded)[0].detail));
  const instrument = loaded.data;
  const key = `${caseId}/${id}/${version}`;
  if (progress?.key !== key) progress = { key, answers: {}, judgement: null };
  const sections = instrument.sections.filter((s) => instrument.questions.some((q) => q.section === s.id));
  const pages = sections.length + (instrument.purpose === 'risk' ? 1 : 0);
  const page = Math.min(Math.max(Number(pageText || 1), 1), pages);
  const base = `#/cases/${caseId}/assess/${id}/${version}`;
  const form = h('form', { novalidate: true },
    h('a', { class: 'govuk-back-link', href: page > 1 ? `${base}/${page - 1}` : `#/cases/${caseId}` }, 'Back'));
  const section = sections[page - 1];
  if (section) {
    form.append(...heading(section.title, `${instrument.title}: page ${page} of ${pages}`));
    for (const q of instrument.questions.filter((x) => x.section === section.id)) form.append(...question(q));
  } else {
    form.append(...heading('Professional judgement', `${instrument.title}: page ${page} of ${pages}`),
      p('The level comes from the count of “yes” answers. Your judgement may raise it, never lower it, and needs your reasons.'),
      radios({ id: 'judgement.level', label: 'Do you judge the risk to be higher than the answers show?', items: LEVELS, value: progress.judgement?.level ?? '' }),
      textarea({ id: 'judgement.rationale', label: 'Your reasons', hint: 'Required if you raise the level', value: progress.judgement?.rationale }));
  }
  form.append(button(page < pages ? 'Continue' : 'Send the assessment'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const errors = section ? readSection(form, instrument, section) : readJudgement(form);
    if (errors.length) return showErrors(form, errors);
    if (page < pages) {
      location.hash = `${base}/${page + 1}`;
      return;
    }
    const body = { case_id: caseId, instrument: { id, version }, answers: progress.answers };
    if (progress.judgement) body.judgement = progress.judgement;
    form.querySelector('button[type="submit"]').disabled = true;
    const result = await submit({ path: '/api/v1/risk-assessments', body, label: `${instrument.title} for case ${caseId.slice(0, 8)}` });
    if (result.queued) {
      progress = null;
      root.replaceChildren(panel('Assessment saved on this device', 'It will be sent and scored when you have a connection.'), p(link('#/cases', 'Back to my cases')));
    } else if (result.ok) {
      progress = null;
      location.hash = `#/assessments/${result.data.id}`;
    } else {
      form.querySelector('button[type="submit"]').disabled = false;
      showErrors(form, problemErrors(result), 'The assessment was not accepted');
    }
  });
  root.append(form);
}

function question(q) {
  const id = `answers.${q.id}`;
  const given = progress.answers[q.id];
  const label = `${q.number}. ${q.text}`;
  if (q.parts?.length) {
    return [h('h2', { class: 'govuk-heading-s' }, label),
      ...q.parts.map((part) => radios({ id: `${id}.parts.${part.id}`, label: part.text, items: ANSWERS, value: given?.parts?.[part.id], inline: true, small: true })),
      comment(q, given)];
  }
  return [radios({ id: `${id}.answer`, label, items: ANSWERS, value: given?.answer, inline: true, small: true }), comment(q, given)];
}

/** An optional comment, folded away until wanted; open when there is one. */
function comment(q, given) {
  const node = details(`Add a comment on question ${q.number}`,
    textarea({ id: `answers.${q.id}.comment`, label: `Comment on question ${q.number} (optional)`, rows: 2, value: given?.comment }));
  if (given?.comment) node.open = true;
  return node;
}

function picked(form, name) {
  return form.querySelector(`input[name="${CSS.escape(name)}"]:checked`)?.value;
}

function readSection(form, instrument, section) {
  const errors = [];
  for (const q of instrument.questions.filter((x) => x.section === section.id)) {
    const id = `answers.${q.id}`;
    const comment = value(form, `${id}.comment`) || undefined;
    if (q.parts?.length) {
      const parts = Object.fromEntries(q.parts.map((part) => [part.id, picked(form, `${id}.parts.${part.id}`)]));
      q.parts.filter((part) => !parts[part.id]).forEach((part) =>
        errors.push({ pointer: `/answers/${q.id}/parts/${part.id}`, detail: `Answer question ${q.number}: ${part.text}` }));
      progress.answers[q.id] = { parts, comment };
    } else {
      const answer = picked(form, `${id}.answer`);
      if (!answer) errors.push({ pointer: `/answers/${q.id}/answer`, detail: `Answer question ${q.number}` });
      progress.answers[q.id] = { answer, comment };
    }
  }
  return errors;
}

function readJudgement(form) {
  const level = picked(form, 'judgement.level');
  const rationale = value(form, 'judgement.rationale');
  progress.judgement = level ? { level, rationale } : null;
  return level && !rationale ? [{ pointer: '/judgement/rationale', detail: 'Give your reasons for raising the level' }] : [];
}

const COLOURS = { high: 'red', medium: 'orange', standard: 'green' };

export async function result(root, id) {
  const loaded = await api('GET', `/api/v1/risk-assessments/${id}`);
  if (!loaded.ok) return root.append(...heading('Assessment not available'), p(problemErrors(loaded)[0].detail));
  const a = loaded.data;
  const r = a.result;
  const caseRisk = await api('GET', `/api/v1/risk/cases/${a.case_id}`).catch(() => null);
  root.append(...heading(a.level ? `Risk: ${a.level}` : `Screening: ${r.score} of ${r.out_of}`, a.instrument.id.toUpperCase()),
    h('div', { class: 'app-result' },
      a.level ? p(tag(a.level, COLOURS[a.level]), ` Score ${r.score} of ${r.out_of}.`) : p(`${r.score} “yes” answers of ${r.out_of}.`),
      r.escalation ? p(tag('Escalation', 'red'), ` ${r.escalation_incidents} incidents for this victim and suspect.`) : null),
    h('h2', { class: 'govuk-heading-m' }, 'Why'),
    h('ul', { class: 'govuk-list govuk-list--bullet' }, r.rules.map((rule) => h('li', {}, rule))));
  const actions = caseRisk?.ok ? caseRisk.data.actions : [];
  if (actions.length) {
    root.append(h('h2', { class: 'govuk-heading-m' }, 'What this requires'),
      summaryList(actions.map((x) => [words(x.code), x.text, null])));
  }
  if (caseRisk?.ok && caseRisk.data.screening_required && !caseRisk.data.screening) {
    root.append(h('a', { class: 'govuk-button', role: 'button', draggable: 'false', 'data-module': 'govuk-button', href: `#/cases/${a.case_id}/assess/s-dash/2009` }, 'Complete the stalking screening (S-DASH)'));
  }
  root.append(p(link(`#/cases/${a.case_id}`, 'Back to the case')));
}
