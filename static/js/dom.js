// Building GOV.UK Frontend components as DOM nodes. Text always goes in as text, never as HTML, so
// nothing from the API or the officer can become markup.

/** An element: `h('p', { class: 'govuk-body' }, 'text', child)`. `on:click` attributes add listeners. */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on:')) element.addEventListener(name.slice(3), value);
    else if (name === 'value') element.value = value;
    else if (name === 'checked') element.checked = Boolean(value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** A field id from a JSON Pointer, so the API's errors find their fields: `/victim/name` → `victim.name`. */
export const idFor = (pointer) => pointer.replace(/^\//, '').replaceAll('/', '.');

export function heading(text, caption) {
  const title = h('h1', { class: 'govuk-heading-l' }, text);
  return caption ? [h('span', { class: 'govuk-caption-l' }, caption), title] : [title];
}

export const p = (...text) => h('p', { class: 'govuk-body' }, ...text);
export const link = (href, text) => h('a', { class: 'govuk-link', href }, text);

function group(id, label, hint, control, { fieldset = false, legendSize = 's' } = {}) {
  const hintNode = hint ? h('div', { class: 'govuk-hint', id: `${id}-hint` }, hint) : null;
  const error = h('p', { class: 'govuk-error-message', id: `${id}-error`, hidden: true });
  if (fieldset) {
    return h('div', { class: 'govuk-form-group', 'data-field': id },
      h('fieldset', { class: 'govuk-fieldset', 'aria-describedby': hint ? `${id}-hint` : undefined },
        h('legend', { class: `govuk-fieldset__legend govuk-fieldset__legend--${legendSize}` }, label),
        hintNode, error, control));
  }
  return h('div', { class: 'govuk-form-group', 'data-field': id },
    h('label', { class: 'govuk-label govuk-label--s', for: id }, label), hintNode, error, control);
}

export function input({ id, label, hint, value = '', type = 'text', width, autocomplete, inputmode, spellcheck, attrs = {} }) {
  const control = h('input', {
    class: `govuk-input${width ? ` govuk-input--width-${width}` : ''}`, id, name: id, type, value,
    autocomplete, inputmode, spellcheck, 'aria-describedby': hint ? `${id}-hint` : undefined, ...attrs,
  });
  return group(id, label, hint, control);
}

export function textarea({ id, label, hint, value = '', rows = 4 }) {
  const control = h('textarea', {
    class: 'govuk-textarea', id, name: id, rows, 'aria-describedby': hint ? `${id}-hint` : undefined,
  });
  control.value = value;
  return group(id, label, hint, control);
}

export function select({ id, label, hint, options, value }) {
  const control = h('select', { class: 'govuk-select', id, name: id },
    options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
  return group(id, label, hint, control);
}

/** Radios: `items` are [value, text, hint?]. The first radio carries the group's id (for error links). */
export function radios({ id, label, hint, items, value, inline = false, small = false, legendSize }) {
  const control = h('div', {
    class: `govuk-radios${inline ? ' govuk-radios--inline' : ''}${small ? ' govuk-radios--small' : ''}`,
    'data-module': 'govuk-radios',
  }, items.map(([v, text, itemHint], i) => {
    const itemId = i === 0 ? id : `${id}-${i + 1}`;
    return h('div', { class: 'govuk-radios__item' },
      h('input', { class: 'govuk-radios__input', id: itemId, name: id, type: 'radio', value: v, checked: v === value,
        'aria-describedby': itemHint ? `${itemId}-hint` : undefined }),
      h('label', { class: 'govuk-label govuk-radios__label', for: itemId }, text),
      itemHint ? h('div', { class: 'govuk-hint govuk-radios__hint', id: `${itemId}-hint` }, itemHint) : null);
  }));
  return group(id, label, hint, control, { fieldset: true, legendSize });
}

export function checkboxes({ id, label, hint, items, values = [] }) {
  const control = h('div', { class: 'govuk-checkboxes govuk-checkboxes--small', 'data-module': 'govuk-checkboxes' },
    items.map(([v, text], i) => {
      const itemId = i === 0 ? id : `${id}-${i + 1}`;
      return h('div', { class: 'govuk-checkboxes__item' },
        h('input', { class: 'govuk-checkboxes__input', id: itemId, name: id, type: 'checkbox', value: v, checked: values.includes(v) }),
        h('label', { class: 'govuk-label govuk-checkboxes__label', for: itemId }, text));
    }));
  return group(id, label, hint, control, { fieldset: true });
}

/** GOV.UK's date input: day, month, year (and an optional time), read back as ISO text. */
export function dateInput({ id, label, hint, value, withTime = false }) {
  const at = value ? new Date(value) : null;
  const part = (name, text, width, v) => h('div', { class: 'govuk-date-input__item' },
    h('div', { class: 'govuk-form-group' },
      h('label', { class: 'govuk-label govuk-date-input__label', for: name === 'day' ? id : `${id}-${name}` }, text),
      h('input', { class: `govuk-input govuk-date-input__input govuk-input--width-${width}`, id: name === 'day' ? id : `${id}-${name}`,
        name: `${id}-${name}`, type: 'text', inputmode: 'numeric', value: v ?? '' })));
  const parts = [
    part('day', 'Day', 2, at?.getDate()),
    part('month', 'Month', 2, at ? at.getMonth() + 1 : ''),
    part('year', 'Year', 4, at?.getFullYear()),
  ];
  if (withTime) {
    const time = at ? `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}` : '';
    parts.push(h('div', { class: 'govuk-date-input__item' },
      h('div', { class: 'govuk-form-group' },
        h('label', { class: 'govuk-label govuk-date-input__label', for: `${id}-time` }, 'Time (24-hour)'),
        h('input', { class: 'govuk-input govuk-date-input__input govuk-input--width-5', id: `${id}-time`, name: `${id}-time`,
          type: 'text', inputmode: 'numeric', placeholder: 'hh:mm', value: time }))));
  }
  return group(id, label, hint, h('div', { class: 'govuk-date-input', id: `${id}-group` }, parts), { fieldset: true });
}

/** The value of a date input: `YYYY-MM-DD`, an RFC 3339 time (with a time part), or '' if blank/invalid. */
export function readDate(form, id, withTime = false) {
  const get = (name) => (form.elements[`${id}-${name}`]?.value ?? '').trim();
  const [day, month, year] = ['day', 'month', 'year'].map(get).map(Number);
  if (!day || !month || !year) return '';
  if (!withTime) return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  const [hours, minutes] = (get('time') || '00:00').split(':').map(Number);
  const at = new Date(year, month - 1, day, hours || 0, minutes || 0);
  return Number.isNaN(at.getTime()) ? '' : at.toISOString();
}

export const value = (form, id) => (form.elements[id]?.value ?? '').trim();
export const checked = (form, id) => [...form.querySelectorAll(`input[name="${id}"]:checked`)].map((i) => i.value);
export const yesNo = (form, id) => {
  const v = form.querySelector(`input[name="${id}"]:checked`)?.value;
  return v === undefined ? undefined : v === 'yes';
};

export function button(text, { secondary = false, type = 'submit', ...attrs } = {}) {
  return h('button', { class: `govuk-button${secondary ? ' govuk-button--secondary' : ''}`, type, 'data-module': 'govuk-button', ...attrs }, text);
}

export function summaryList(rows) {
  return h('dl', { class: 'govuk-summary-list' }, rows.map(([key, val, action]) =>
    h('div', { class: 'govuk-summary-list__row' },
      h('dt', { class: 'govuk-summary-list__key' }, key),
      h('dd', { class: 'govuk-summary-list__value' }, val),
      action ? h('dd', { class: 'govuk-summary-list__actions' },
        h('a', { class: 'govuk-link', href: action.href }, action.text, h('span', { class: 'govuk-visually-hidden' }, ` ${key.toLowerCase()}`))) : null)));
}

export function insetText(...text) {
  return h('div', { class: 'govuk-inset-text' }, ...text);
}

export function panel(title, body) {
  return h('div', { class: 'govuk-panel govuk-panel--confirmation' },
    h('h1', { class: 'govuk-panel__title' }, title), h('div', { class: 'govuk-panel__body' }, body));
}

export function warning(text) {
  return h('div', { class: 'govuk-warning-text' },
    h('span', { class: 'govuk-warning-text__icon', 'aria-hidden': 'true' }, '!'),
    h('strong', { class: 'govuk-warning-text__text' }, h('span', { class: 'govuk-visually-hidden' }, 'Warning'), text));
}

/** A slug in words: `not-yet-course-of-conduct` → `Not yet course of conduct`. */
export function words(slug) {
  const text = String(slug ?? '').replaceAll('-', ' ').replaceAll('_', ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** GOV.UK's details component: optional content, closed until asked for. */
export function details(summary, ...content) {
  return h('details', { class: 'govuk-details' },
    h('summary', { class: 'govuk-details__summary' }, h('span', { class: 'govuk-details__summary-text' }, summary)),
    h('div', { class: 'govuk-details__text' }, ...content));
}

export function tag(text, colour) {
  return h('strong', { class: `govuk-tag${colour ? ` govuk-tag--${colour}` : ''}` }, text);
}

/**
 * Shows field errors the GOV.UK way: an error summary at the top linking to each field, and each
 * message next to its field. `errors` are { pointer, detail } (the API's problem `errors`).
 */
export function showErrors(form, errors, title = 'There is a problem') {
  clearErrors(form);
  const items = errors.map(({ pointer, detail }) => {
    const id = idFor(pointer || '');
    const groupNode = fieldGroup(form, id);
    if (groupNode) {
      groupNode.classList.add('govuk-form-group--error');
      const message = groupNode.querySelector('.govuk-error-message');
      message.hidden = false;
      message.replaceChildren(h('span', { class: 'govuk-visually-hidden' }, 'Error: '), detail);
      groupNode.querySelectorAll('input.govuk-input, textarea, select').forEach((c) => c.classList.add(
        c.tagName === 'TEXTAREA' ? 'govuk-textarea--error' : c.tagName === 'SELECT' ? 'govuk-select--error' : 'govuk-input--error'));
    }
    const target = groupNode ? groupNode.querySelector('input, textarea, select')?.id : null;
    return h('li', {}, target ? h('a', { href: `#${target}`, 'on:click': (e) => { e.preventDefault(); document.getElementById(target)?.focus(); } }, detail) : detail);
  });
  const summary = h('div', { class: 'govuk-error-summary', 'data-module': 'govuk-error-summary', tabindex: '-1' },
    h('div', { role: 'alert' },
      h('h2', { class: 'govuk-error-summary__title' }, title),
      h('div', { class: 'govuk-error-summary__body' }, h('ul', { class: 'govuk-list govuk-error-summary__list' }, items))));
  form.prepend(summary);
  if (!document.title.startsWith('Error: ')) document.title = `Error: ${document.title}`;
  summary.focus();
}

/** The form group for a field id, or for the closest enclosing field the API named. */
function fieldGroup(form, id) {
  let key = id;
  while (key) {
    const node = form.querySelector(`[data-field="${CSS.escape(key)}"]`);
    if (node) return node;
    key = key.includes('.') ? key.slice(0, key.lastIndexOf('.')) : '';
  }
  return null;
}

export function clearErrors(form) {
  form.querySelector('.govuk-error-summary')?.remove();
  form.querySelectorAll('.govuk-form-group--error').forEach((g) => {
    g.classList.remove('govuk-form-group--error');
    const message = g.querySelector('.govuk-error-message');
    if (message) { message.hidden = true; message.replaceChildren(); }
    g.querySelectorAll('.govuk-input--error, .govuk-textarea--error, .govuk-select--error').forEach((c) =>
      c.classList.remove('govuk-input--error', 'govuk-textarea--error', 'govuk-select--error'));
  });
  document.title = document.title.replace(/^Error: /, '');
}
