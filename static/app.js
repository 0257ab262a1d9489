// The officer's form: a small single-page app over the JSON API, built from GOV.UK Frontend
// components. Hash routes, so one static page serves every view and no script is inline.

import { createAll, Button, Checkboxes, Radios, ServiceNavigation, SkipLink } from '/govuk-frontend.min.js';
import { session, whenSessionEnds } from './js/api.js';
import { flush, pending, sessionEnded } from './js/outbox.js';
import { h } from './js/dom.js';
import * as care from './js/views/care.js';
import * as cases from './js/views/cases.js';
import * as force from './js/views/force.js';
import * as report from './js/views/report.js';
import * as retention from './js/views/retention.js';
import * as risk from './js/views/risk.js';
import * as search from './js/views/search.js';

document.body.classList.add('govuk-frontend-supported');
createAll(ServiceNavigation);
createAll(SkipLink);

const routes = [
  [/^#\/sign-in$/, cases.signIn, 'Sign in'],
  [/^#\/sign-out$/, cases.signOut, 'Sign out'],
  [/^#\/signed-in$/, cases.signedInAtProvider, 'Signing in'],
  [/^#\/cases$/, cases.myCases, 'My cases'],
  [/^#\/pending$/, cases.waiting, 'Waiting to send'],
  [/^#\/report(?:\/(\w+))?$/, report.newReport, 'Report harassment or stalking'],
  [/^#\/cases\/(\w+)$/, cases.caseView, 'Case'],
  [/^#\/cases\/(\w+)\/occurrence$/, report.addOccurrence, 'Add an occurrence'],
  [/^#\/cases\/(\w+)\/decision$/, report.decision, 'Crime decision'],
  [/^#\/cases\/(\w+)\/victim-contact$/, care.victimContact, 'Record a contact with the victim'],
  [/^#\/cases\/(\w+)\/victim-preferences$/, care.victimPreferences, 'Victim contact preferences'],
  [/^#\/cases\/(\w+)\/key-decision$/, care.keyDecision, 'Record a key decision'],
  [/^#\/cases\/(\w+)\/consider\/([\w-]+)$/, care.consider, 'Record why a power was not used'],
  [/^#\/orders\/(\w+)\/breach$/, report.recordBreach, 'Record a breach'],
  [/^#\/orders\/(\w+)\/notified$/, report.notificationReceived, 'Notification received'],
  [/^#\/cases\/(\w+)\/assess\/([\w-]+)\/([\w.-]+)(?:\/(\d+))?$/, risk.assess, 'Risk assessment'],
  [/^#\/assessments\/(\w+)$/, risk.result, 'Risk assessment result'],
  [/^#\/cases\/(\w+)\/search$/, search.recordSearch, 'Record a search'],
  [/^#\/searches\/(\w+)(?:\?v=\d+)?$/, search.searchResult, 'Search record'],
  [/^#\/overdue$/, care.overdue, 'Overdue in the force'],
  [/^#\/force(?:\?(.*))?$/, force.forceView, 'Force view'],
  [/^#\/plan$/, force.actionPlan, 'Action plan'],
  [/^#\/plan\/([\w-]+)\/(\d+)$/, force.updateAction, 'Update an action'],
  [/^#\/retention$/, retention.reviewsDue, 'Retention reviews'],
  [/^#\/retention\/(\w+)$/, retention.reviewCase, 'Review a case for retention'],
];

async function render() {
  const hash = location.hash || '#/cases';
  const signedIn = Boolean(session.get());
  if (!signedIn && hash !== '#/sign-in' && hash !== '#/signed-in') {
    location.hash = '#/sign-in';
    return;
  }
  // Analysts work with aggregates only: their first page is the force's view.
  if (hash === '#/cases' && session.get()?.role === 'analyst') {
    location.hash = '#/force';
    return;
  }
  document.getElementById('navigation').hidden = !signedIn;
  // The force's view is in the menu only for the roles that may see it.
  document.getElementById('force-navigation').hidden = !force.FORCE_ROLES.includes(session.get()?.role);
  document.getElementById('overdue-navigation').hidden = !care.OVERDUE_ROLES.includes(session.get()?.role);
  document.getElementById('retention-navigation').hidden = !retention.RETENTION_ROLES.includes(session.get()?.role);
  showCurrentPage(hash);
  const app = document.getElementById('app');
  const match = routes.map(([pattern, view, title]) => [hash.match(pattern), view, title]).find(([m]) => m);
  if (!match) {
    app.replaceChildren(h('h1', { class: 'govuk-heading-l' }, 'Page not found'));
    return;
  }
  const [found, view, title] = match;
  document.title = `${title} – Stalking and harassment response`;
  const root = h('div');
  app.replaceChildren(root);
  try {
    await view(root, ...found.slice(1));
  } catch (e) {
    console.error(e);
    root.replaceChildren(h('h1', { class: 'govuk-heading-l' }, 'Sorry, there is a problem with the service'),
      h('p', { class: 'govuk-body' }, 'Try again later. Anything you submitted is kept on this device until it is sent.'));
  }
  for (const Component of [Button, Radios, Checkboxes]) createAll(Component, undefined, root);
  // Move focus to the new page's heading for screen-reader and keyboard users.
  const heading = root.querySelector('h1');
  if (heading && !root.querySelector('.govuk-error-summary')) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
  }
}

/** Marks the navigation item for this page, and folds the phone menu away after a choice. */
function showCurrentPage(hash) {
  for (const item of document.querySelectorAll('.govuk-service-navigation__item')) {
    const current = hash.startsWith(item.querySelector('a').getAttribute('href'));
    item.classList.toggle('govuk-service-navigation__item--active', current);
    if (current) item.querySelector('a').setAttribute('aria-current', 'page');
    else item.querySelector('a').removeAttribute('aria-current');
  }
  const toggle = document.querySelector('.govuk-service-navigation__toggle');
  if (toggle && !toggle.hidden && toggle.getAttribute('aria-expanded') === 'true') toggle.click();
}

async function showPending() {
  const count = session.get() ? (await pending()).length : 0;
  document.getElementById('pending-count').textContent = count ? `(${count})` : '';
}

// A 401 (or another sign-in on this browser): warn on the sign-in page of the unsent items lost, then
// delete them.
whenSessionEnds((who, keep) => sessionEnded(who, keep, () => {
  if (location.hash !== '#/sign-in') history.pushState(null, '', '#/sign-in');
  return render();
}));

window.addEventListener('hashchange', render);
window.addEventListener('online', () => flush());
window.addEventListener('outbox-changed', () => {
  showPending();
  if (location.hash === '#/pending') render();
});
render();
if (session.get()) flush();
