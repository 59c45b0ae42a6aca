import type { RequestHandler, Response } from 'express';
import type { PageLanguage, PageWords } from '../i18n';

/**
 * The few server-rendered pages (sign-in errors, the development provider's user list). Plain
 * HTML with a stylesheet of our own, so they pass the CSP that forbids inline styles and scripts.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** A tagged template whose interpolations are escaped, unless they are already `SafeHtml`. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString() {
    return this.value;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((value, i) => {
    const parts = Array.isArray(value) ? value : [value];
    out += parts.map((part) => (part instanceof SafeHtml ? part.value : escapeHtml(String(part ?? '')))).join('');
    out += strings[i + 1];
  });
  return new SafeHtml(out);
}

export interface Message {
  /** The page's language and its words (server/src/i18n): `wordsFor(req)`. */
  words: PageWords;
  title: string;
  /** What happened and what to do, in words a person understands. */
  text: string;
  links?: { href: string; label: string }[];
  /** A short code for support ("Reason: state_mismatch"). */
  reason?: string;
  /** 'info' for news that is no failure (a sign-in the person cancelled): the text in the page's plain colour. */
  tone?: 'error' | 'info';
}

/** A page that tells a person what went wrong and where to go next. */
export function messagePage({ words, title, text, links = [], reason, tone = 'error' }: Message): string {
  return page(
    words.lang,
    title,
    html`<h1>${title}</h1>
<p class="${tone}">${text}</p>
${links.length > 0 ? html`<p>${links.map((l, i) => html`${i > 0 ? ' · ' : ''}<a href="${l.href}">${l.label}</a>`)}</p>` : ''}
${reason ? html`<p class="muted">${words.say('reason', { reason })}</p>` : ''}`,
  );
}

/** Sends a message page, never cached. */
export function sendMessage(res: Response, status: number, message: Message): void {
  res.status(status).set('Cache-Control', 'no-store').type('html').send(messagePage(message));
}

export const PAGE_CSS_PATH = '/auth/page.css';

export function page(lang: PageLanguage, title: string, body: SafeHtml): string {
  return `<!doctype html>${html`<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title} · MREG</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${PAGE_CSS_PATH}">
</head>
<body><main>${body}</main></body>
</html>`.value}`;
}

const PAGE_CSS = `
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2330; }
main { max-width: 34rem; margin: 4rem auto; padding: 2rem; background: #fff; border-radius: 8px;
  box-shadow: 0 1px 3px rgba(0,0,0,.12); }
h1 { font-size: 1.4rem; margin-top: 0; }
a { color: #1b5fc1; }
.muted { color: #5b6476; font-size: .9rem; }
ul.choices { list-style: none; padding: 0; }
ul.choices li { margin: .5rem 0; }
ul.choices form { margin: 0; }
button { font: inherit; width: 100%; text-align: left; padding: .6rem .9rem; border: 1px solid #c9cfdb;
  border-radius: 6px; background: #fff; cursor: pointer; }
button:hover { border-color: #1b5fc1; }
/* WCAG 2.4.7 / 1.4.11: a 2px ring, 6.08:1 against the white card (5.67:1 on the page), on whatever
   the keyboard reaches. */
:focus-visible { outline: 2px solid #1b5fc1; outline-offset: 2px; }
button.secondary { width: auto; margin-top: 1rem; }
.error { color: #a11a1a; }
.warning { border: 1px solid #b26a00; background: #fff4e0; border-radius: 6px; padding: .6rem .9rem; }
form.guest { margin-top: 1.25rem; }
form.guest label { display: block; margin-bottom: .4rem; }
form.guest input { font: inherit; box-sizing: border-box; width: 100%; padding: .55rem .7rem; border: 1px solid #c9cfdb;
  border-radius: 6px; margin-bottom: .5rem; }
form.guest input:focus { border-color: #1b5fc1; }
form.guest input:focus-visible { outline-offset: 1px; }
/* The system's dark setting, as the app's "System" theme follows it (contrast checked by axe in e2e). */
@media (prefers-color-scheme: dark) {
  html { color-scheme: dark; }
  body { background: #121519; color: #e6e8eb; }
  main { background: #1b1f24; box-shadow: 0 1px 3px rgba(0,0,0,.5); }
  a { color: #7fb0ff; }
  .muted { color: #a3acb9; }
  button { background: #1b1f24; color: inherit; border-color: #3a4250; }
  button:hover, form.guest input:focus { border-color: #7fb0ff; }
  :focus-visible { outline-color: #7fb0ff; }
  .error { color: #ff8a80; }
  .warning { background: #33260f; }
  form.guest input { background: #121519; color: inherit; border-color: #3a4250; }
}
`.trim();

export const pageCss: RequestHandler = (_req, res) => {
  res.type('text/css').set('Cache-Control', 'public, max-age=3600').send(PAGE_CSS);
};
