// The booth page: choose an election, type the credential code, choose, review, encrypt, then
// audit (Benaloh: the device shows that it encrypted the choices; the voter votes again) or cast,
// and keep the signed receipt. Everything secret (the code, the credential key, the nonces)
// stays in this page's memory; only the encrypted, signed ballot is sent. The HTTP contract is
// the service's /api/v1 (docs/service.md: voter-kit, ballots, audits). Stable ids and data-testid attributes are
// for the end-to-end test.

import {
  checkAudit, checkReceipt, CredentialKey, electionFromVoterKit, encryptBallot, InvalidBallot,
  InvalidCredential, optionsOf, parseCredentialCode, plaintextFromSelection, spoilBallot, bytesToHex,
  canonicalJson, canonicalBytes, b64encode, blankAllowed, countRange, gradeOfValue, rankedOptions,
  rankingSelection,
} from '../src/index.js';
import { LANGUAGES, t, TEXT } from './i18n.js';

const API = '/api/v1';
const state = {
  lang: 'fr',
  electionId: null,
  info: null,
  election: null,
  key: null,
  selection: {},
  ranks: {}, // per ranking question, each option's rank as its field holds it (kept while a fault is fixed)
  plaintext: null,
  sealed: null,
  receipt: null,
  screen: 'screen-loading',
  elections: null,
};

const $ = (id) => document.getElementById(id);
const tr = (key, values) => t(state.lang, key, values);

function localised(text) {
  if (!text || typeof text !== 'object') return String(text ?? '');
  return text[state.lang] ?? text.en ?? text.fr ?? Object.values(text)[0] ?? '';
}

// -- screens, texts, errors -------------------------------------------------------------------

function show(screen, { focus = true } = {}) {
  state.screen = screen;
  for (const section of document.querySelectorAll('[data-screen]')) section.hidden = section.id !== screen;
  if (focus) {
    const heading = $(screen).querySelector('h2');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus();
    }
  }
}

function setError(id, text) {
  const element = $(id);
  element.textContent = text ?? '';
  element.hidden = !text;
}

function setStatus(text) {
  $('status').textContent = text ?? '';
}

function applyTexts() {
  document.documentElement.lang = state.lang;
  for (const element of document.querySelectorAll('[data-i18n]')) element.textContent = tr(element.dataset.i18n);
  const other = tr('lang.switch.code');
  $('lang-switch').textContent = tr('lang.switch');
  $('lang-switch').lang = other;
  $('lang-switch').hidden = !availableLanguages().includes(other);
  const title = state.election ? localised(state.election.manifest.title) : state.electionId ? '' : tr('elections.heading');
  $('election-title').textContent = title;
  document.title = title ? `${title} · ${tr('page.title')}` : tr('page.title');
  if (state.screen === 'screen-elections') renderElections();
  if (state.screen === 'screen-choose') {
    state.selection = readSelection().selection;
    renderQuestions();
  }
  if (state.screen === 'screen-review') renderSummary($('review-summary'), state.plaintext);
}

function availableLanguages() {
  const manifestLanguages = state.election ? Object.keys(state.election.manifest.title) : LANGUAGES;
  return LANGUAGES.filter((lang) => manifestLanguages.includes(lang));
}

function chooseLanguage() {
  const asked = new URLSearchParams(location.search).get('lang');
  const preferred = asked ?? (navigator.language || 'fr').slice(0, 2).toLowerCase();
  const languages = availableLanguages();
  state.lang = languages.includes(preferred) ? preferred : languages[0] ?? 'fr';
}

// -- loading ----------------------------------------------------------------------------------

async function getJson(path) {
  let response;
  try {
    response = await fetch(API + path, { headers: { Accept: 'application/json' }, cache: 'no-store' });
  } catch (error) {
    throw Object.assign(new Error(error.message), { unreachable: true });
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new Error(body?.detail ?? body?.title ?? `HTTP ${response.status}`);
  return body;
}

async function loadElections() {
  try {
    state.elections = (await getJson('/elections')).elections ?? [];
  } catch (error) {
    setError('error', tr(error.unreachable ? 'load.unreachable' : 'load.failed', { detail: error.message }));
    show('screen-elections');
    return;
  }
  show('screen-elections');
  applyTexts();
}

function renderElections() {
  const list = $('elections-list');
  list.replaceChildren();
  if (!state.elections || state.elections.length === 0) {
    const item = document.createElement('li');
    item.textContent = tr('elections.none');
    list.append(item);
    return;
  }
  for (const election of state.elections) {
    const item = document.createElement('li');
    const link = document.createElement('a');
    link.href = `/elections/${encodeURIComponent(election.election_id)}`;
    link.dataset.testid = `election-${election.election_id}`;
    link.textContent = localised(election.title);
    item.append(link, ` (${tr(`elections.state.${election.state}`)})`);
    list.append(item);
  }
}

async function loadElection(id) {
  try {
    const [info, kit] = await Promise.all([
      getJson(`/elections/${encodeURIComponent(id)}`),
      getJson(`/elections/${encodeURIComponent(id)}/voter-kit`),
    ]);
    const election = electionFromVoterKit(kit);
    // The service's summary must name the same election as the kit it serves.
    if (info.fingerprint !== bytesToHex(election.fingerprint) || info.board_key !== bytesToHex(election.boardKey)) {
      throw new Error('the election summary and the voter-kit disagree (fingerprint or board key)');
    }
    state.info = info;
    state.election = election;
  } catch (error) {
    chooseLanguage();
    applyTexts();
    setError('error', tr(error.unreachable ? 'load.unreachable' : 'load.failed', { detail: error.message }));
    show('screen-loading', { focus: false });
    $('screen-loading').hidden = true;
    return;
  }
  chooseLanguage();
  // Recomputed from the kit (electionFromVoterKit refuses a kit that does not make it) and shown
  // so that the voter can compare it with the one the officers announced (docs/spec.md 6.3).
  $('election-fingerprint').textContent = bytesToHex(state.election.fingerprint);
  show('screen-code', { focus: false });
  applyTexts();
  if (state.info.state !== 'open') {
    setError('error', tr('election.notOpen', { state: tr(`elections.state.${state.info.state}`) }));
    $('screen-code').hidden = true;
  }
}

// -- credential code --------------------------------------------------------------------------

function codeMessage(error) {
  if (error instanceof InvalidCredential) {
    switch (error.reason) {
      case 'missing': return tr('code.missing', { count: error.count });
      case 'extra': return tr('code.extra', { count: error.count });
      case 'character': return tr('code.character', error);
      case 'check': return tr('code.check');
      default: break;
    }
  }
  return tr('code.other', { detail: error.message });
}

function onCode(event) {
  event.preventDefault();
  const input = $('credential-code');
  try {
    const code = parseCredentialCode(input.value);
    state.key = CredentialKey.derive(state.election.group, state.election.electionId, code);
  } catch (error) {
    setError('code-error', codeMessage(error));
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  input.value = ''; // the code is no longer needed: only the derived key is kept, in memory
  input.removeAttribute('aria-invalid');
  setError('code-error', null);
  renderQuestions();
  show('screen-choose');
}

// -- choices ----------------------------------------------------------------------------------

function element(tag, attributes = {}, text = undefined) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === undefined) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
  if (text !== undefined) node.textContent = text;
  return node;
}

function ruleText(question) {
  const [low, high] = countRange(question) ?? [0, optionsOf(question).length];
  switch (question.kind) {
    case 'single': return tr(question.blank ? 'choose.single.blank' : 'choose.single');
    case 'approval': return tr(question.blank ? 'choose.approval.blank' : 'choose.approval', { min: question.min, max: question.max });
    case 'score': return question.max_total === undefined ? tr('choose.score', { max: question.max_score }) : tr('choose.score.total', { max: question.max_score, total: question.max_total });
    case 'grades': return tr('choose.grades', { best: localised(question.grades[0].label), worst: localised(question.grades.at(-1).label) });
    case 'ranking': return [
      tr('choose.ranking'),
      ...(question.options.length > RANK_SELECT_MAX ? [tr('choose.ranking.typed', { count: question.options.length })] : []),
      ...(question.rule === 'stv' ? [tr('choose.ranking.seats', { seats: question.seats })] : []),
    ].join(' ');
    default: return question.min_projects === undefined && question.max_projects === undefined
      ? tr('choose.budget', { min: number(question.min_spend), budget: number(question.budget) })
      : tr('choose.budget.count', { low, high, min: number(question.min_spend), budget: number(question.budget) });
  }
}

function number(value) {
  return new Intl.NumberFormat(state.lang).format(value);
}

function renderQuestions() {
  const container = $('questions');
  container.replaceChildren();
  state.election.manifest.questions.forEach((question, i) => {
    const fieldset = element('fieldset', { id: `question-${i}`, 'data-testid': `question-${question.id}`, 'aria-describedby': `rule-${i}` });
    fieldset.append(element('legend', {}, localised(question.title)), element('p', { id: `rule-${i}`, class: 'help' }, ruleText(question)));
    const chosen = state.selection[question.id];
    const options = optionsOf(question);
    if (question.kind === 'score') {
      options.forEach((option, j) => {
        const row = element('div', { class: 'score' });
        const id = `q${i}-o${j}`;
        row.append(element('label', { for: id }, localised(option.label)));
        row.append(element('input', { id, type: 'number', inputmode: 'numeric', min: 0, max: question.max_score, step: 1, value: chosen?.[option.id] ?? 0, 'data-testid': `score-${question.id}-${option.id}`, 'data-option': option.id }));
        fieldset.append(row);
      });
      if (question.max_total !== undefined) fieldset.append(element('p', { id: `tally-${i}`, class: 'tally', 'aria-live': 'polite', 'data-testid': `tally-${question.id}` }));
    } else if (question.kind === 'grades') {
      options.forEach((option, j) => fieldset.append(gradesRow(question, i, option, j, chosen?.[option.id])));
    } else if (question.kind === 'ranking') {
      const ranks = state.ranks[question.id] ?? ranksOf(chosen);
      options.forEach((option, j) => fieldset.append(rankRow(question, i, option, j, ranks[option.id] ?? '')));
    } else {
      const type = question.kind === 'single' ? 'radio' : 'checkbox';
      options.forEach((option, j) => {
        const id = `q${i}-o${j}`;
        const row = element('div', { class: 'choice' });
        const label = question.kind === 'budget' ? `${localised(option.label)} (${tr('choose.cost', { cost: number(option.cost) })})` : localised(option.label);
        const checked = Array.isArray(chosen) && chosen.includes(option.id);
        row.append(element('input', { id, type, name: `q${i}`, value: option.id, checked, 'data-testid': `option-${question.id}-${option.id}`, 'data-option': option.id }), element('label', { for: id }, label));
        fieldset.append(row);
      });
      if (blankAllowed(question)) {
        const id = `q${i}-blank`;
        const row = element('div', { class: 'choice' });
        row.append(element('input', { id, type, name: `q${i}`, value: '', checked: chosen === null, 'data-testid': `blank-${question.id}`, 'data-blank': true }), element('label', { for: id }, tr('choose.blank')));
        fieldset.append(row);
      }
      if (question.kind === 'budget') fieldset.append(element('p', { id: `tally-${i}`, class: 'tally', 'aria-live': 'polite', 'data-testid': `tally-${question.id}` }));
    }
    container.append(fieldset);
  });
  updateTallies();
}

/** One option of a grades question: its label, then one radio button per grade, best first. */
function gradesRow(question, i, option, j, chosenGrade) {
  const group = element('fieldset', { id: `q${i}-o${j}`, class: 'grades', 'data-option': option.id });
  group.append(element('legend', {}, localised(option.label)));
  const row = element('div', { class: 'grade-row' });
  question.grades.forEach((grade, g) => {
    const id = `q${i}-o${j}-g${g}`;
    const cell = element('div', { class: 'grade' });
    cell.append(
      element('input', { id, type: 'radio', name: `q${i}-o${j}`, value: grade.id, checked: chosenGrade === grade.id, 'data-testid': `grade-${question.id}-${option.id}-${grade.id}`, 'data-grade': grade.id }),
      element('label', { for: id }, localised(grade.label)),
    );
    row.append(cell);
  });
  group.append(row);
  return group;
}

/** Up to this many options a rank is chosen in a select (1..n); beyond, it is typed. */
const RANK_SELECT_MAX = 10;

/**
 * One option of a ranking question: its label and its rank, a select ("not ranked", 1..n) or,
 * for a long list (n selects of n + 1 entries would be too many), a number field left empty for
 * "not ranked". `text` is the rank as the field holds it ('' or '0': not ranked).
 */
function rankRow(question, i, option, j, text) {
  const id = `q${i}-o${j}`;
  const n = question.options.length;
  const row = element('div', { class: 'rank' });
  const common = { id, 'data-testid': `rank-${question.id}-${option.id}`, 'data-option': option.id, 'data-rank': true };
  let field;
  if (n <= RANK_SELECT_MAX) {
    field = element('select', common);
    const rank = text === '' ? '0' : text;
    field.append(element('option', { value: '0', selected: rank === '0' }, tr('choose.rank.none')));
    for (let r = 1; r <= n; r++) field.append(element('option', { value: String(r), selected: rank === String(r) }, tr('choose.rank', { rank: r })));
  } else {
    field = element('input', { ...common, type: 'number', inputmode: 'numeric', min: 1, max: n, step: 1, value: text === '0' ? '' : text });
  }
  row.append(element('label', { for: id }, localised(option.label)), field);
  return row;
}

/** {option id: rank text} of a ranking selection (option ids, most preferred first). */
function ranksOf(chosen) {
  return Object.fromEntries((Array.isArray(chosen) ? chosen : []).map((id, position) => [id, String(position + 1)]));
}

/** The selection the form holds: {question id: [option ids] | {id: score} | {id: grade id} | null (blank)}. */
function readSelection() {
  const selection = {};
  let fault = null;
  state.election.manifest.questions.forEach((question, i) => {
    const fieldset = $(`question-${i}`);
    if (!fieldset) return;
    if (question.kind === 'score') {
      const scores = {};
      for (const input of fieldset.querySelectorAll('input[data-option]')) {
        const value = input.value.trim() === '' ? 0 : Number(input.value);
        if (!Number.isInteger(value) || value < 0 || value > question.max_score) fault ??= { question, reason: 'value' };
        scores[input.dataset.option] = Number.isInteger(value) ? value : -1;
      }
      selection[question.id] = scores;
      return;
    }
    if (question.kind === 'grades') {
      // Options left ungraded are left out: plaintextFromSelection names the first one.
      const grades = {};
      for (const group of fieldset.querySelectorAll('fieldset[data-option]')) {
        const checked = group.querySelector('input[data-grade]:checked');
        if (checked) grades[group.dataset.option] = checked.dataset.grade;
      }
      selection[question.id] = grades;
      return;
    }
    if (question.kind === 'ranking') {
      const ranks = {};
      const texts = {};
      let typo = null;
      for (const field of fieldset.querySelectorAll('[data-rank]')) {
        const text = field.value.trim();
        const rank = text === '' ? 0 : Number(text);
        texts[field.dataset.option] = text;
        ranks[field.dataset.option] = rank;
        if (field.validity.badInput || !Number.isInteger(rank) || rank < 0 || rank > question.options.length) typo ??= { question, reason: 'rank-value', option: field.dataset.option, bound: question.options.length };
      }
      state.ranks[question.id] = texts; // kept as typed, so that a fault can be corrected
      if (typo) {
        fault ??= typo;
        return;
      }
      try {
        selection[question.id] = rankingSelection(question, ranks);
      } catch (error) {
        if (!(error instanceof InvalidBallot) || !error.reason) throw error;
        fault ??= { ...error, message: error.message, question };
      }
      return;
    }
    const chosen = [...fieldset.querySelectorAll('input[data-option]:checked')].map((input) => input.dataset.option);
    const blank = fieldset.querySelector('input[data-blank]')?.checked ?? false;
    if (blank && chosen.length) fault ??= { question, reason: 'blank' };
    // Nothing ticked is not a blank vote: blank is a box of its own, ticked on purpose.
    if (blank) selection[question.id] = null;
    else if (question.kind === 'single' && chosen.length === 0) fault ??= { question, reason: 'missing' };
    else selection[question.id] = chosen;
  });
  return { selection, fault };
}

function updateTallies() {
  state.election.manifest.questions.forEach((question, i) => {
    const tally = $(`tally-${i}`);
    if (!tally) return;
    const fieldset = $(`question-${i}`);
    if (question.kind === 'budget') {
      const spend = [...fieldset.querySelectorAll('input[data-option]:checked')]
        .reduce((sum, input) => sum + question.projects.find((p) => p.id === input.dataset.option).cost, 0);
      tally.textContent = tr('choose.spent', { spend: number(spend), budget: number(question.budget) });
    } else {
      const total = [...fieldset.querySelectorAll('input[data-option]')].reduce((sum, input) => sum + (Number(input.value) || 0), 0);
      tally.textContent = tr('choose.points', { total: number(total), max: number(question.max_total) });
    }
  });
}

function choiceMessage(fault, selection) {
  const question = state.election.manifest.questions.find((q) => q.id === fault.question.id);
  const chosen = selection[question.id];
  const count = Array.isArray(chosen) ? chosen.length : question.kind === 'score' && chosen ? Object.values(chosen).reduce((a, b) => a + b, 0) : 0;
  const label = (id) => localised(optionsOf(question).find((o) => o.id === id)?.label);
  const values = {
    question: localised(question.title), count, bound: number(fault.bound ?? 0), spend: number(fault.spend ?? 0),
    option: label(fault.option), other: label(fault.other), rank: fault.rank,
  };
  // A reason the form cannot produce (a crafted selection) is shown with the library's message.
  if (TEXT.en[`error.${fault.reason}`] === undefined) return tr('error.other', { detail: fault.message });
  return tr(`error.${fault.reason}`, values);
}

function onChoose(event) {
  event.preventDefault();
  const { selection, fault } = readSelection();
  state.selection = selection;
  let error = null;
  let questionId = fault?.question.id ?? null;
  let optionId = fault?.reason === 'rank-tie' ? fault.other : fault?.option ?? null;
  if (fault) error = choiceMessage(fault, selection);
  else {
    try {
      state.plaintext = plaintextFromSelection(state.election.manifest, selection);
    } catch (caught) {
      if (caught instanceof InvalidBallot && caught.reason && caught.question) {
        questionId = caught.question;
        optionId = caught.option ?? null;
        error = choiceMessage({ ...caught, message: caught.message, question: { id: caught.question } }, selection);
      } else error = tr('error.other', { detail: caught.message });
    }
  }
  if (error) {
    setError('choose-error', error);
    // Keyboard and screen-reader users land on the question to correct (the alert is read).
    const index = state.election.manifest.questions.findIndex((q) => q.id === questionId);
    const question = $(`question-${index}`);
    const option = optionId === null ? null : question?.querySelector(`[data-option="${CSS.escape(optionId)}"]`);
    (option?.matches('input, select') ? option : (option ?? question)?.querySelector('input, select'))?.focus();
    return;
  }
  setError('choose-error', null);
  renderSummary($('review-summary'), state.plaintext);
  show('screen-review');
}

function renderSummary(list, plaintext) {
  list.replaceChildren();
  if (!plaintext) return;
  state.election.manifest.questions.forEach((question, i) => {
    const answer = plaintext.answers[i];
    const options = optionsOf(question);
    let text;
    if (answer.blank) text = tr('review.blank');
    else if (question.kind === 'score') text = options.map((o, j) => `${localised(o.label)}: ${answer.values[j]}`).join(' · ');
    else if (question.kind === 'grades') text = options.map((o, j) => `${localised(o.label)}: ${localised(gradeOfValue(question, answer.values[j]).label)}`).join(' · ');
    else if (question.kind === 'ranking') {
      const ranked = rankedOptions(question, answer.values);
      text = ranked.length ? ranked.map((o, r) => `${r + 1}. ${localised(o.label)}`).join(' · ') : tr('review.unranked');
    }
    else {
      const names = options.filter((_, j) => answer.values[j]).map((o) => localised(o.label));
      text = names.length ? names.join(' · ') : tr('review.none');
      if (question.kind === 'budget') {
        const spend = options.reduce((sum, o, j) => sum + o.cost * answer.values[j], 0);
        text += ` (${tr('choose.spent', { spend: number(spend), budget: number(question.budget) })})`;
      }
    }
    list.append(element('dt', {}, localised(question.title)), element('dd', { 'data-testid': `summary-${question.id}` }, text));
  });
}

// -- encrypt, audit, cast ---------------------------------------------------------------------

function busy(buttons, on) {
  for (const id of buttons) $(id).disabled = on;
}

async function onSeal() {
  busy(['review-seal', 'review-back'], true);
  setStatus(tr('sealing'));
  await new Promise((resolve) => setTimeout(resolve, 20)); // let the status be drawn first
  try {
    state.sealed = encryptBallot(state.election, state.key, state.plaintext);
  } catch (error) {
    setError('error', tr('error.other', { detail: error.message }));
    return;
  } finally {
    busy(['review-seal', 'review-back'], false);
    setStatus('');
  }
  $('sealed-tracking-code').textContent = state.sealed.ballot.trackingCode;
  setError('sealed-error', null);
  show('screen-sealed');
}

function downloadLink(id, filename, value) {
  const link = $(id);
  if (link.href.startsWith('blob:')) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([JSON.stringify(value, null, 2) + '\n'], { type: 'application/json' }));
  link.download = filename;
}

async function onAudit() {
  const { ballot, secrets } = state.sealed;
  state.sealed = null; // an audited ballot is never cast
  const audit = spoilBallot(ballot, secrets);
  let message;
  let revealed = null;
  try {
    revealed = checkAudit(state.election, ballot.json, audit);
    const same = canonicalJson(revealed.answers) === canonicalJson(state.plaintext.answers.map((a) => ({ values: a.values, blank: a.blank })));
    message = tr(same ? 'audit.ok' : 'audit.mismatch');
  } catch (error) {
    message = tr('audit.failed', { detail: error.message });
  }
  $('audit-result').textContent = message;
  $('audit-result').className = revealed && message === tr('audit.ok') ? '' : 'error';
  $('audit-tracking-code').textContent = ballot.trackingCode;
  renderSummary($('audit-choices'), revealed);
  downloadLink('audit-download', `audit-${ballot.trackingCode}.json`, { ballot: ballot.json, audit });
  $('audit-board').textContent = tr('audit.publishing');
  $('audit-board').className = '';
  show('screen-audit');
  await publishAudit(ballot, audit);
}

/**
 * Publish the audit on the board (POST .../audits, docs/service.md): the body is the spoiled
 * entry's payload, canonical {"audit", "ballot": base64 of the ballot's bytes} (docs/spec.md
 * 6.7, 10.3), so that anyone can check what this device encrypted.
 */
async function publishAudit(ballot, audit) {
  const board = $('audit-board');
  const restart = $('audit-restart');
  restart.disabled = true;
  let response;
  try {
    response = await fetch(`${API}/elections/${encodeURIComponent(state.election.electionId)}/audits`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: canonicalBytes({ audit, ballot: b64encode(ballot.bytes) }), cache: 'no-store',
    });
  } catch (error) {
    board.textContent = tr('audit.unreachable', { detail: error.message });
    board.className = 'error';
    restart.disabled = false;
    return;
  }
  const body = await response.json().catch(() => null);
  restart.disabled = false;
  if (!response.ok || body?.status !== 'spoiled' || body?.tracking_code !== ballot.trackingCode) {
    board.textContent = tr('audit.refused', { detail: body?.detail ?? body?.title ?? `HTTP ${response.status}` });
    board.className = 'error';
    return;
  }
  board.textContent = tr('audit.published', { position: body.position, code: body.tracking_code });
  board.dataset.published = 'true';
}

function onRestart() {
  renderQuestions();
  show('screen-choose');
}

async function onCast() {
  const { ballot } = state.sealed;
  busy(['sealed-cast', 'sealed-audit'], true);
  setStatus(tr('casting'));
  setError('sealed-error', null);
  let response;
  try {
    response = await fetch(`${API}/elections/${encodeURIComponent(state.election.electionId)}/ballots`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: ballot.bytes, cache: 'no-store',
    });
  } catch (error) {
    finishCast();
    setError('sealed-error', tr('cast.unreachable', { detail: error.message }));
    return;
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    finishCast();
    setError('sealed-error', tr('cast.refused', { detail: body?.detail ?? body?.title ?? `HTTP ${response.status}` }));
    return;
  }
  finishCast();
  // Cast: the nonces and the key are no longer needed.
  state.sealed = null;
  state.key = null;
  $('receipt-tracking-code').textContent = ballot.trackingCode;
  $('receipt-fingerprint').textContent = bytesToHex(state.election.fingerprint);
  try {
    const receipt = checkReceipt(body, state.election.boardKey, { electionId: state.election.electionId, ballotHash: ballot.hash, trackingCode: ballot.trackingCode });
    $('receipt-position').textContent = String(receipt.position);
    $('receipt-verified').hidden = false;
  } catch (error) {
    $('receipt-verified').hidden = true;
    setError('error', tr('cast.badReceipt', { detail: error.message }));
  }
  downloadLink('receipt-download', `receipt-${ballot.trackingCode}.json`, body);
  show('screen-receipt');
}

function finishCast() {
  busy(['sealed-cast', 'sealed-audit'], false);
  setStatus('');
}

// -- start ------------------------------------------------------------------------------------

function start() {
  $('lang-switch').addEventListener('click', () => {
    state.lang = tr('lang.switch.code');
    applyTexts();
  });
  $('code-form').addEventListener('submit', onCode);
  $('choose-form').addEventListener('submit', onChoose);
  $('questions').addEventListener('input', updateTallies);
  $('questions').addEventListener('change', (event) => {
    // A blank box and the options of one question exclude each other.
    const input = event.target;
    if (input.type !== 'checkbox' || !input.checked) return;
    const fieldset = input.closest('fieldset');
    if (input.dataset.blank !== undefined) fieldset.querySelectorAll('input[data-option]').forEach((box) => { box.checked = false; });
    else { const blank = fieldset.querySelector('input[data-blank]'); if (blank) blank.checked = false; }
    updateTallies();
  });
  $('review-back').addEventListener('click', () => { renderQuestions(); show('screen-choose'); });
  $('review-seal').addEventListener('click', onSeal);
  $('sealed-cast').addEventListener('click', onCast);
  $('sealed-audit').addEventListener('click', onAudit);
  $('audit-restart').addEventListener('click', onRestart);
  $('receipt-print').addEventListener('click', () => window.print());
  const match = location.pathname.match(/^\/elections\/([^/]+)\/?$/);
  state.electionId = match ? decodeURIComponent(match[1]) : null;
  chooseLanguage();
  applyTexts();
  if (state.electionId) loadElection(state.electionId);
  else loadElections();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
