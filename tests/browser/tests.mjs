// tests/browser/tests.mjs: the browser test tier of Kwangmyong Portal.
//
// Run by run.sh, which makes the fixture corpus, starts the server and sets:
//   KW_BASE          http://127.0.0.1:PORT of a running `kwangmyong serve`
//   KW_NODE_MODULES  node_modules with playwright-core, axe-core, vnu-jar
//   KW_FIXTURE       the fixture tree that was ingested as collection handbook
//   KW_SHOTS_DIR     where full-page screenshots go
//   KW_TMP           a scratch directory (browser profile, saved pages)
//   CHROMIUM         the browser binary (/usr/bin/chromium)
//   KW_MOD_USER, KW_MOD_PASSWORD  a moderator account (the admin tests)
//
// Prints "ok - NAME" or "FAIL - NAME" with reasons for every test and ends
// with the line "N passed, N failed"; exits 1 when anything failed.
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const BASE = process.env.KW_BASE;
const NODE_MODULES = process.env.KW_NODE_MODULES;
const FIXTURE = process.env.KW_FIXTURE;
const SHOTS = process.env.KW_SHOTS_DIR;
const TMP = process.env.KW_TMP;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const MOD_USER = process.env.KW_MOD_USER;
const MOD_PASSWORD = process.env.KW_MOD_PASSWORD;
if (!BASE || !NODE_MODULES || !FIXTURE || !SHOTS || !TMP) {
    console.error('tests.mjs is run by run.sh (KW_BASE, KW_NODE_MODULES, KW_FIXTURE, KW_SHOTS_DIR, KW_TMP)');
    process.exit(99);
}
const ORIGIN = new URL(BASE).origin;
const require = createRequire(path.join(NODE_MODULES, 'noop.js'));
const { chromium } = require('playwright-core');
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const VNU_JAR = path.join(NODE_MODULES, 'vnu-jar', 'build', 'dist', 'vnu.jar');

const NAV_TIMEOUT = 30000;     // one navigation or action
const TEST_TIMEOUT = 180000;   // one test
const VNU_TIMEOUT = 180000;    // one vnu run over every saved page

// ---- a tiny runner -----------------------------------------------------------
const tests = [];
function test(name, fn) { tests.push({ name, fn }); }
class Failures {
    constructor() { this.list = []; this.step = ''; }
    check(cond, msg) { if (!cond) this.list.push(msg); return !!cond; }
    fail(msg) { this.list.push(msg); }
}
function withTimeout(promise, ms, what) {
    let t;
    return Promise.race([
        promise,
        new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`${what}: timed out after ${ms} ms`)), ms); }),
    ]).finally(() => clearTimeout(t));
}

// ---- the pages -----------------------------------------------------------------
const XSS_TITLE = 'Payload <img src=x onerror=alert(1)><script>alert(2)</script> page';
const OUTSIDE_URL = 'https://outside.example.com/papers/thermal-loops.html';
const q = (s) => encodeURIComponent(s);
// name, path, and what must be on it.  `doc` maps a document page to its
// fixture source (for vnu: errors the source itself has are not ours).
const PAGES = [
    { name: 'home', path: '/', h1: true, text: 'Reactor Handbook' },
    { name: 'collections', path: '/c/', h1: true, text: 'Reactor Handbook' },
    { name: 'collection', path: '/c/handbook/', h1: 'Reactor Handbook', text: 'Cooling guide' },
    { name: 'document', path: '/c/handbook/index.html', doc: 'index.html', text: 'primary cooling loop' },
    { name: 'document-table', path: '/c/handbook/guide/cooling.html', doc: 'guide/cooling.html', text: 'P-101' },
    { name: 'document-ko', path: '/c/handbook/ko/database.html', doc: 'ko/database.html', text: '데이터베이스' },
    { name: 'document-xss', path: '/c/handbook/xss.html', doc: 'xss.html', text: 'Hostile markup sample' },
    { name: 'search-prompt', path: '/search', h1: true },
    { name: 'search-en', path: `/search?q=${q('coolant')}`, results: ['/c/handbook/guide/cooling.html'] },
    { name: 'search-ko-partial', path: `/search?q=${q('베이스')}`, results: ['/c/handbook/ko/database.html'] },
    { name: 'search-ko-particle-query', path: `/search?q=${q('데이터베이스는')}`, results: ['/c/handbook/ko/database.html'] },
    { name: 'search-ko-particle-text', path: `/search?q=${q('이미지')}`, results: ['/c/handbook/ko/database.html'] },
    { name: 'search-xss-result', path: `/search?q=${q('sanitizer')}`, results: ['/c/handbook/xss.html'] },
    { name: 'search-xss-query', path: `/search?q=${q('<script>alert(3)</script><img src=x onerror=alert(4)>')}`, h1: true },
    { name: 'search-none', path: `/search?q=${q('zzyzxnothing')}`, results: [] },
    { name: 'external', path: `/external?url=${q(OUTSIDE_URL)}`, h1: true, text: OUTSIDE_URL },
    { name: 'external-thanks', path: `/external?requested=1&url=${q(OUTSIDE_URL)}`, h1: true, text: OUTSIDE_URL },
    { name: 'error-404', path: '/c/handbook/no-such-page.html', status: 404, h1: true },
];
const LANGS = ['ko', 'en'];

// ---- the browser -----------------------------------------------------------------
process.env.TMPDIR = TMP;   // Playwright's fresh profile (--user-data-dir) goes here
let browser;
try {
    browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        timeout: 30000,
        args: [
            '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
            '--disable-background-networking', '--disable-component-update', '--disable-sync',
            '--disable-default-apps', '--disable-domain-reliability', '--no-pings',
            // belt and braces: no name resolves, so nothing can leave 127.0.0.1
            // (127.0.0.2: the cross-site test's attacker page; the request
            // guard still refuses it in every other context)
            '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE 127.0.0.2',
        ],
    });
} catch (e) {
    console.log(`FAIL - Chromium did not start: ${e.message.split('\n')[0]}`);
    console.log('0 passed, 1 failed');
    process.exit(99);
}

// Every context is guarded: any request not to the portal's origin is
// aborted and recorded, any dialog is dismissed and recorded, console
// errors and page errors are recorded.  `allow` adds origins for that
// context only (the cross-site test's attacker page on loopback).
const incidents = [];   // { kind, detail, page }
const inflight = new Map();   // request -> start time, for a timeout's diagnosis
async function newContext(opts = {}, label = 'default', allow = []) {
    const origins = new Set([ORIGIN, ...allow]);
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...opts });
    ctx.setDefaultTimeout(NAV_TIMEOUT);
    ctx.setDefaultNavigationTimeout(NAV_TIMEOUT);
    await ctx.route('**/*', (route) => {
        const url = route.request().url();
        let ok = false;
        try { ok = origins.has(new URL(url).origin); } catch { ok = false; }
        if (ok) return route.continue();
        incidents.push({ kind: 'outside request', detail: `${route.request().method()} ${url}`, ctx: label });
        return route.abort('blockedbyclient');
    });
    ctx.on('requestfinished', (req) => inflight.delete(req));
    ctx.on('requestfailed', (req) => inflight.delete(req));
    ctx.on('close', () => inflight.clear());
    ctx.on('request', (req) => {
        inflight.set(req, Date.now());
        const url = req.url();
        if (url.startsWith('data:') || url.startsWith('blob:') || url === 'about:blank') return;
        try { if (origins.has(new URL(url).origin)) return; } catch { /* fall through */ }
        incidents.push({ kind: 'outside request (listener)', detail: url, ctx: label });
    });
    ctx.on('page', (page) => watchPage(page, label));
    return ctx;
}
function watchPage(page, label) {
    page.on('dialog', async (d) => {
        incidents.push({ kind: 'dialog', detail: `${d.type()}: ${d.message()} on ${page.url()}`, ctx: label });
        await d.dismiss().catch(() => {});
    });
    page.on('pageerror', (e) => incidents.push({ kind: 'page error', detail: `${e.message} on ${page.url()}`, ctx: label }));
    page.on('console', (m) => {
        // Playwright's own helpers on the sandboxed document pages; a script
        // in a page would be caught by the DOM checks (no script, no on*)
        if (m.type() === 'error' && /^Blocked script execution in .* sandboxed/.test(m.text())) return;
        // an error status is checked where it happens, with a better message
        if (m.type() === 'error' && /^Failed to load resource: the server responded with a status of [45]\d\d/.test(m.text()) &&
            !/\.(css|png|svg|ico|jpg)(\?|$)/.test(m.location().url || '')) return;
        if (m.type() === 'error') incidents.push({ kind: 'console error', detail: `${m.text()} on ${page.url()}`, ctx: label });
    });
}
function takeIncidents(f, label) {
    const mine = incidents.filter((i) => !label || i.ctx === label);
    for (const i of mine) f.fail(`${i.kind}: ${i.detail}`);
    for (const i of mine) incidents.splice(incidents.indexOf(i), 1);
}

async function visit(page, p, f, expectStatus = 200) {
    f.step = p;
    const resp = await page.goto(BASE + p, { waitUntil: 'load' });
    f.check(resp && resp.status() === expectStatus, `${p}: status ${resp && resp.status()}, expected ${expectStatus}`);
    return resp;
}

// What every portal page must be: the layout, no element pointing outside,
// no script or event handler in the mirrored body.
async function checkPage(page, spec, lang, f) {
    const P = spec.path;
    const info = await page.evaluate(() => {
        const attrs = [];
        for (const el of document.querySelectorAll('[href],[src],[action],[srcset],[poster],[data]')) {
            for (const a of ['href', 'src', 'action', 'srcset', 'poster', 'data']) {
                if (el.hasAttribute(a)) attrs.push({ tag: el.tagName.toLowerCase(), attr: a, value: el.getAttribute(a), abs: el[a] || '' });
            }
        }
        const h1 = document.querySelector('main h1, main .doc-title');
        return {
            lang: document.documentElement.lang,
            title: document.title,
            h1: h1 ? h1.textContent.trim() : null,
            main: !!document.querySelector('main#main'),
            text: document.body ? document.body.innerText : '',
            attrs,
            scripts: document.querySelectorAll('main script, main iframe, main object, main embed').length,
            handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => /^on/i.test(a.name))).map((e) => e.outerHTML.slice(0, 80)),
            results: [...document.querySelectorAll('ol.results > li h3 a')].map((a) => new URL(a.href).pathname),
        };
    });
    f.check(info.lang === lang, `${P}: <html lang="${info.lang}">, expected ${lang}`);
    f.check(info.main, `${P}: no <main id="main">`);
    if (spec.h1) f.check(info.h1, `${P}: no h1`);
    if (typeof spec.h1 === 'string') f.check(info.h1 === spec.h1, `${P}: h1 is "${info.h1}", expected "${spec.h1}"`);
    if (spec.text) f.check(info.text.includes(spec.text), `${P}: text "${spec.text}" not shown`);
    f.check(info.scripts === 0, `${P}: script/iframe/object/embed inside main`);
    f.check(info.handlers.length === 0, `${P}: elements with on* attributes: ${info.handlers.join(' | ')}`);
    for (const a of info.attrs) {
        let origin = null;
        try { origin = new URL(a.value, page.url()).origin; } catch { /* bad URL */ }
        if (a.attr === 'srcset' || origin !== ORIGIN) {
            f.fail(`${P}: <${a.tag} ${a.attr}="${a.value}"> leaves the intranet`);
        }
    }
    if (spec.results) {
        for (const r of spec.results) f.check(info.results.includes(r), `${P}: result ${r} missing (got ${JSON.stringify(info.results)})`);
        if (spec.results.length === 0) f.check(info.results.length === 0, `${P}: expected no results, got ${info.results}`);
    }
    return info;
}

// ---- the guards themselves ---------------------------------------------------------
test('guards work: an outside request and a dialog are caught', async (f) => {
    const ctx = await newContext({}, 'self-test');
    try {
        // 192.0.2.1 is TEST-NET-1; the guard aborts the request before it leaves
        const p1 = await ctx.newPage();
        await p1.goto('http://192.0.2.1/guard-test').catch(() => {});
        const p2 = await ctx.newPage();
        await p2.evaluate(() => alert('guard test'));
        const mine = incidents.filter((i) => i.ctx === 'self-test');
        f.check(mine.some((i) => i.kind === 'outside request' && i.detail.includes('192.0.2.1')), 'the outside-request guard did not fire');
        f.check(mine.some((i) => i.kind === 'dialog'), 'the dialog guard did not fire');
    } finally {
        await ctx.close();
        for (const i of incidents.filter((x) => x.ctx === 'self-test')) incidents.splice(incidents.indexOf(i), 1);
    }
});

// ---- tests: pages in both UI languages, with screenshots -------------------------
for (const lang of LANGS) {
    test(`pages render in ${lang} (${PAGES.length} pages, screenshots)`, async (f) => {
        const label = `pages-${lang}`;
        const ctx = await newContext({ locale: lang === 'ko' ? 'ko-KR' : 'en-US' }, label);
        await ctx.addCookies([{ name: 'lang', value: lang, url: BASE }]);
        const page = await ctx.newPage();
        try {
            for (const spec of PAGES) {
                await visit(page, spec.path, f, spec.status || 200);
                await checkPage(page, spec, lang, f);
                await page.screenshot({ path: path.join(SHOTS, `${spec.name}.${lang}.png`), fullPage: true });
            }
        } finally { await ctx.close(); }
        takeIncidents(f, label);
    });
}

test('document: links bound inside the intranet, image loads, prev/next', async (f) => {
    const ctx = await newContext({}, 'doc');
    const page = await ctx.newPage();
    try {
        await visit(page, '/c/handbook/index.html?lang=en', f);
        const img = await page.evaluate(() => {
            const i = document.querySelector('.body img');
            return i ? { ok: i.complete && i.naturalWidth > 0, src: i.getAttribute('src') } : null;
        });
        f.check(img && img.ok, `document image did not load: ${JSON.stringify(img)}`);
        await page.click('.body a[href$="guide/intro.html"]');
        await page.waitForLoadState('load');
        f.check(new URL(page.url()).pathname === '/c/handbook/guide/intro.html', `internal link led to ${page.url()}`);
        f.check((await page.textContent('main')).includes('Thermal hydraulics studies'), 'intro page body not shown');
        const next = await page.$('nav.pager a[rel="next"], nav.pager a[rel="prev"]');
        f.check(next, 'no previous/next link on a document');
    } finally { await ctx.close(); }
    takeIncidents(f, 'doc');
});

test('XSS fixture: title shown as text, no script, no dialog', async (f) => {
    const ctx = await newContext({}, 'xss');
    const page = await ctx.newPage();
    try {
        await visit(page, '/c/handbook/xss.html?lang=en', f);
        await page.waitForTimeout(500);    // give a payload time to fire
        const r = await page.evaluate(() => ({
            title: document.title,
            docTitle: document.querySelector('.doc-title') && document.querySelector('.doc-title').textContent,
            scripts: document.scripts.length,
            imgs: [...document.querySelectorAll('img')].map((i) => i.outerHTML),
        }));
        f.check(r.title.includes(XSS_TITLE), `document.title does not show the payload as text: ${r.title}`);
        f.check(r.docTitle && r.docTitle.includes(XSS_TITLE), `document heading does not show the payload as text: ${r.docTitle}`);
        f.check(r.scripts === 0, `${r.scripts} script elements on the XSS document`);
        // its search result and the query echo
        await visit(page, `/search?q=${q('sanitizer')}`, f);
        await page.waitForTimeout(300);
        const link = await page.$('ol.results a[href^="/c/handbook/xss.html"]');
        f.check(link && (await link.textContent()).includes(XSS_TITLE), 'XSS result title not shown as text');
        await visit(page, `/search?q=${q('<script>alert(3)</script>')}`, f);
        f.check((await page.inputValue('#site-q')) === '<script>alert(3)</script>', 'search box does not echo the query as text');
        await page.waitForTimeout(300);
    } finally { await ctx.close(); }
    takeIncidents(f, 'xss');
});

test('Korean search: partial word and particles', async (f) => {
    const ctx = await newContext({}, 'ko-search');
    const page = await ctx.newPage();
    try {
        // typed into the search box, like a reader would
        await visit(page, '/', f);
        await page.fill('#site-q', '베이스');
        await Promise.all([page.waitForNavigation(), page.press('#site-q', 'Enter')]);
        const hrefs = await page.$$eval('ol.results h3 a', (as) => as.map((a) => new URL(a.href).pathname));
        f.check(hrefs.includes('/c/handbook/ko/database.html'), `베이스 does not find 데이터베이스: ${hrefs}`);
        const mark = await page.$$eval('ol.results mark', (ms) => ms.map((m) => m.textContent));
        f.check(mark.length > 0, 'no highlighted match in the snippet');
        for (const word of ['데이터베이스는', '이미지를', '이미지']) {
            await visit(page, `/search?q=${q(word)}`, f);
            const h = await page.$$eval('ol.results h3 a', (as) => as.map((a) => new URL(a.href).pathname));
            f.check(h.includes('/c/handbook/ko/database.html'), `${word} does not find the Korean page: ${h}`);
        }
    } finally { await ctx.close(); }
    takeIncidents(f, 'ko-search');
});

test('/suggest answers a JSON array', async (f) => {
    for (const [term, expect] of [['Reac', '/c/handbook/index.html'], ['관계', '/c/handbook/ko/database.html'], ['', null], ['zzyzx', null]]) {
        const r = await fetch(`${BASE}/suggest?q=${q(term)}`, { signal: AbortSignal.timeout(NAV_TIMEOUT) });
        f.check(r.status === 200, `/suggest?q=${term}: status ${r.status}`);
        f.check((r.headers.get('content-type') || '').startsWith('application/json'), `/suggest?q=${term}: content-type ${r.headers.get('content-type')}`);
        let j = null;
        try { j = await r.json(); } catch (e) { f.fail(`/suggest?q=${term}: not JSON: ${e.message}`); continue; }
        f.check(Array.isArray(j), `/suggest?q=${term}: not an array`);
        if (!Array.isArray(j)) continue;
        for (const s of j) f.check(typeof s.title === 'string' && typeof s.url === 'string' && s.url.startsWith('/'), `/suggest?q=${term}: bad entry ${JSON.stringify(s)}`);
        if (expect) f.check(j.some((s) => s.url === expect), `/suggest?q=${term}: ${expect} missing in ${JSON.stringify(j)}`);
        else f.check(j.length === 0, `/suggest?q=${term}: expected [], got ${JSON.stringify(j)}`);
    }
});

async function externalFlow(page, f, js) {
    await visit(page, '/c/handbook/index.html?lang=en', f);
    await Promise.all([page.waitForNavigation(), page.click('.body a:has-text("outside paper on thermal loops")')]);
    const u = new URL(page.url());
    f.check(u.origin === ORIGIN && u.pathname === '/external', `outside link led to ${page.url()}`);
    const shown = (await page.textContent('.external-url').catch(() => '')) || '';
    f.check(shown.trim() === OUTSIDE_URL, `external page shows "${shown.trim()}", expected ${OUTSIDE_URL}`);
    const outsideLinks = await page.$$eval('a[href]', (as) => as.map((a) => a.href).filter((h) => !h.startsWith(location.origin)));
    f.check(outsideLinks.length === 0, `external page links outside: ${outsideLinks}`);
    const button = await page.$('form[method="post"] button[type="submit"]');
    if (!f.check(button, 'no "request this document" button')) return;
    await Promise.all([page.waitForNavigation(), button.click()]);
    const st = await page.$('p.message[role="status"]');
    const msg = st ? (await st.textContent()).trim() : '';
    f.check(/request was recorded|요청/.test(msg), `no thanks message after the request (got "${msg}") at ${page.url()}${js ? '' : ' (no JS)'}`);
    f.check(!(await page.$('form[method="post"] button[type="submit"]')), 'request button still shown after the request');
    await page.screenshot({ path: path.join(SHOTS, `external-requested${js ? '' : '.nojs'}.png`), fullPage: true });
}

test('external link: shown as text, no link out, request works', async (f) => {
    const ctx = await newContext({}, 'external');
    const page = await ctx.newPage();
    try { await externalFlow(page, f, true); } finally { await ctx.close(); }
    takeIncidents(f, 'external');
});

test('language switch changes <html lang>', async (f) => {
    const ctx = await newContext({ locale: 'ko-KR' }, 'lang');
    const page = await ctx.newPage();
    try {
        for (const p of ['/', '/c/', '/c/handbook/', '/c/handbook/index.html', `/search?q=${q('coolant')}`, `/external?url=${q(OUTSIDE_URL)}`]) {
            await visit(page, p, f);
            f.step = `${p}: language switch`;
            f.check(await page.getAttribute('html', 'lang') === 'ko', `${p}: not Korean by default`);
            for (const lang of ['en', 'ko']) {
                await Promise.all([page.waitForNavigation(), page.click(`nav.lang a[hreflang="${lang}"]`)]);
                const u = new URL(page.url());
                const where = `${p}: clicking ${lang === 'en' ? 'English' : '한국어'} led to ${u.pathname}${u.search}`;
                f.check(await page.getAttribute('html', 'lang') === lang, `${where} with <html lang="${await page.getAttribute('html', 'lang')}">`);
                f.check(await page.$(`nav.lang [aria-current="true"][lang="${lang}"]`), `${where}: ${lang} not marked current`);
                f.check(u.pathname === new URL(BASE + p).pathname, `${where}: another page`);
            }
        }
    } finally { await ctx.close(); }
    takeIncidents(f, 'lang');
});

test('language switch keeps the page: search query, external url', async (f) => {
    const ctx = await newContext({ locale: 'ko-KR' }, 'lang-keep');
    const page = await ctx.newPage();
    try {
        await visit(page, `/search?q=${q('coolant')}`, f);
        f.step = 'search: language switch';
        let [resp] = await Promise.all([page.waitForNavigation(), page.click('nav.lang a[hreflang="en"]')]);
        let u = new URL(page.url());
        f.check(u.searchParams.get('q') === 'coolant', `search: switching language drops the query (went to ${u.pathname}${u.search})`);
        const n = await page.$$eval('ol.results > li', (l) => l.length);
        f.check(n > 0, `search: no results after switching language (went to ${u.pathname}${u.search})`);
        await visit(page, `/external?url=${q(OUTSIDE_URL)}`, f);
        f.step = 'external: language switch';
        // The first switch set the lang cookie: switch to whichever
        // language is not current now.
        [resp] = await Promise.all([page.waitForNavigation(), page.click('nav.lang a[hreflang]')]);
        u = new URL(page.url());
        f.check(resp && resp.status() === 200, `external: switching language answers ${resp && resp.status()} (went to ${u.pathname}${u.search})`);
        f.check(u.searchParams.get('url') === OUTSIDE_URL, `external: switching language drops url= (went to ${u.pathname}${u.search})`);
        await visit(page, '/c/handbook/?sort=date', f);
        f.step = 'collection: language switch';
        await Promise.all([page.waitForNavigation(), page.click('nav.lang a[hreflang]')]);
        u = new URL(page.url());
        f.check(u.searchParams.get('sort') === 'date', `collection: switching language drops sort=date (went to ${u.pathname}${u.search})`);
    } finally { await ctx.close(); }
    takeIncidents(f, 'lang-keep');
});

test('without JavaScript: every page, search form, external request', async (f) => {
    const label = 'nojs';
    const ctx = await newContext({ javaScriptEnabled: false }, label);
    await ctx.addCookies([{ name: 'lang', value: 'en', url: BASE }]);
    const page = await ctx.newPage();
    try {
        for (const spec of PAGES) {
            await visit(page, spec.path, f, spec.status || 200);
            const h = await page.$('main h1, main .doc-title');
            f.check(h, `${spec.path} (no JS): no heading`);
            if (spec.text) f.check((await page.textContent('body')).includes(spec.text), `${spec.path} (no JS): "${spec.text}" not shown`);
            if (spec.results && spec.results.length) {
                const hrefs = await page.$$eval('ol.results h3 a', (as) => as.map((a) => a.getAttribute('href')));
                for (const r of spec.results) f.check(hrefs.some((h) => h.startsWith(r)), `${spec.path} (no JS): result ${r} missing`);
            }
            await page.screenshot({ path: path.join(SHOTS, `${spec.name}.nojs.png`), fullPage: true });
        }
        await visit(page, '/', f);
        await page.fill('#site-q', '베이스');
        await Promise.all([page.waitForNavigation(), page.press('#site-q', 'Enter')]);
        f.check(await page.$('ol.results a[href^="/c/handbook/ko/database.html"]'), 'search form without JS: 베이스 finds nothing');
        await Promise.all([page.waitForNavigation(), page.click('nav.lang a[hreflang="ko"]')]);
        f.check(await page.getAttribute('html', 'lang') === 'ko', 'language switch without JS failed');
        await externalFlow(page, f, false);
    } finally { await ctx.close(); }
    takeIncidents(f, label);
});

// ---- accessibility: axe-core ------------------------------------------------------
const AXE_PAGES = PAGES.filter((p) => !['search-none', 'external-thanks'].includes(p.name));
for (const lang of LANGS) {
    test(`axe: no serious or critical violation (${lang})`, async (f) => {
        const label = `axe-${lang}`;
        // bypassCSP: the document pages forbid script (sandbox, default-src 'none')
        const ctx = await newContext({ bypassCSP: true }, label);
        await ctx.addCookies([{ name: 'lang', value: lang, url: BASE }]);
        const page = await ctx.newPage();
        try {
            for (const spec of AXE_PAGES) {
                await visit(page, spec.path, f, spec.status || 200);
                await page.addScriptTag({ content: AXE_SOURCE });
                const res = await page.evaluate(async () => {
                    // eslint-disable-next-line no-undef
                    const r = await axe.run(document, { resultTypes: ['violations'] });
                    return r.violations.map((v) => ({
                        id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.map((n) => ({ target: n.target.join(' '), html: n.html.replace(/\s+/g, ' ').slice(0, 160) })),
                    }));
                });
                for (const v of res) {
                    const serious = v.impact === 'serious' || v.impact === 'critical';
                    const line = `${spec.path} [${lang}] ${v.impact} ${v.id}: ${v.help}; ` +
                        v.nodes.map((n) => `${n.target} ${n.html}`).join(' | ');
                    if (serious) f.fail(line);
                    else console.log(`# axe (not failing, ${v.impact}): ${line}`);
                }
            }
        } finally { await ctx.close(); }
        // the axe context loads axe from a string: no request may leave either
        takeIncidents(f, label);
    });
}

// ---- valid HTML: vnu ----------------------------------------------------------------
function runVnu(files) {
    return new Promise((resolve, reject) => {
        const child = spawn('java', ['-Xss8m', '-jar', VNU_JAR, '--format', 'json', '--stdout', ...files],
            { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '', err = '';
        child.stdout.on('data', (d) => { out += d; });
        child.stderr.on('data', (d) => { err += d; });
        const t = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`vnu timed out after ${VNU_TIMEOUT} ms`)); }, VNU_TIMEOUT);
        child.on('error', (e) => { clearTimeout(t); reject(e); });
        child.on('close', () => {
            clearTimeout(t);
            try { resolve(JSON.parse(out || err).messages); } catch (e) { reject(new Error(`vnu output not JSON: ${(out + err).slice(0, 500)}`)); }
        });
    });
}

test('vnu: every page type is valid HTML', async (f) => {
    const dir = path.join(TMP, 'vnu');
    fs.mkdirSync(dir, { recursive: true });
    const saved = [];   // { file, spec, lang, html }
    // the pages as a client gets them with a plain GET, plus the thanks page after a POST
    for (const lang of LANGS) {
        for (const spec of PAGES) {
            const r = await fetch(BASE + spec.path, { headers: { cookie: `lang=${lang}` }, redirect: 'manual', signal: AbortSignal.timeout(NAV_TIMEOUT) });
            const html = await r.text();
            f.check(r.status === (spec.status || 200), `GET ${spec.path}: status ${r.status}`);
            const file = path.join(dir, `${spec.name}.${lang}.html`);
            fs.writeFileSync(file, html);
            saved.push({ file, spec, lang, html });
        }
    }
    // the fixture sources of the document pages: an error the source has
    // itself is the source's, not ours
    const sources = [...new Set(PAGES.filter((p) => p.doc).map((p) => p.doc))].map((d) => path.join(FIXTURE, d));
    const msgs = await runVnu([...saved.map((s) => s.file), ...sources]);
    const byFile = new Map();
    for (const m of msgs) {
        const file = m.url ? decodeURIComponent(new URL(m.url).pathname) : '(none)';
        if (!byFile.has(file)) byFile.set(file, []);
        byFile.get(file).push(m);
    }
    const isError = (m) => m.type === 'error' || (m.type === 'non-document-error');
    for (const s of saved) {
        const lines = s.html.split('\n');
        // the mirrored body: from <div class="body"> to </article>
        const start = lines.findIndex((l) => l.includes('<div class="body">'));
        const end = lines.findIndex((l, i) => i > start && l.includes('</article>'));
        const srcMsgs = s.spec.doc ? (byFile.get(path.join(FIXTURE, s.spec.doc)) || []).filter(isError).map((m) => m.message) : [];
        for (const m of (byFile.get(s.file) || []).filter(isError)) {
            const line = m.lastLine || m.firstLine || 0;
            const where = `${s.spec.path} [${s.lang}] line ${line}: ${m.message} — ${(m.extract || '').replace(/\s+/g, ' ').trim()}`;
            const inBody = s.spec.doc && start >= 0 && line > start && line <= end + 1;
            if (inBody && srcMsgs.includes(m.message)) {
                console.log(`# vnu ignored (inside the mirrored body, and the source ${s.spec.doc} has the same error): ${where}`);
            } else {
                f.fail(`vnu: ${where}`);
            }
        }
        for (const m of byFile.get(s.file) || []) {
            if (m.type === 'info' && m.subType === 'warning') console.log(`# vnu warning (not failing): ${s.spec.path} [${s.lang}] ${m.message}`);
        }
    }
    for (const src of sources) {
        for (const m of (byFile.get(src) || []).filter(isError)) console.log(`# vnu: fixture source ${path.relative(FIXTURE, src)} itself has: ${m.message}`);
    }
});

// ---- moderation: the admin pages ------------------------------------------------------
// run.sh ingests the collection "pending" without --approve (memo-alpha.html,
// memo-bravo.html) and makes the moderator account.  The first test approves
// alpha, the second attacks bravo: each logs in itself, so any order works.
async function adminLogin(ctx, f) {
    const page = await ctx.newPage();
    f.check(MOD_USER && MOD_PASSWORD, 'KW_MOD_USER/KW_MOD_PASSWORD not set (run.sh makes the account)');
    await visit(page, '/admin/login?lang=en', f);
    await page.fill('#username', MOD_USER || '');
    await page.fill('#password', MOD_PASSWORD || '');
    f.step = 'login';
    const [resp] = await Promise.all([page.waitForNavigation(), page.click('form[action$="/admin/login"] button[type="submit"]')]);
    f.check(resp && resp.status() === 200 && new URL(page.url()).pathname === '/admin/',
        `login led to ${page.url()} (status ${resp && resp.status()}), expected the dashboard /admin/`);
    return page;
}
// The queue's rows: title -> { id, href }
async function queueRows(page, f) {
    await visit(page, '/admin/queue', f);
    const rows = await page.$$eval('main table tbody tr td a[href*="/admin/documents/"]',
        (as) => as.map((a) => ({ title: a.textContent.trim(), href: a.getAttribute('href') })));
    const byTitle = new Map();
    for (const r of rows) {
        const m = /\/admin\/documents\/(\d+)$/.exec(new URL(r.href, BASE).pathname);
        if (m) byTitle.set(r.title, { id: m[1], href: r.href });
    }
    return byTitle;
}
async function reviewStatus(page) {
    return ((await page.textContent('main p strong').catch(() => '')) || '').trim();
}

test('admin: log in, queue, preview, approve, published', async (f) => {
    const label = 'admin';
    const ctx = await newContext({ locale: 'en-US' }, label);
    try {
        const page = await adminLogin(ctx, f);
        const rows = await queueRows(page, f);
        await page.screenshot({ path: path.join(SHOTS, 'admin-queue.png'), fullPage: true });
        const row = rows.get('Inspection memo alpha');
        if (!f.check(row, `the queue does not list "Inspection memo alpha" (got ${JSON.stringify([...rows.keys()])})`)) return;
        f.step = 'review page';
        await Promise.all([page.waitForNavigation(), page.click(`main table a[href="${row.href}"]`)]);
        f.check(new URL(page.url()).pathname === `/admin/documents/${row.id}`, `the queue link led to ${page.url()}`);
        f.check(await reviewStatus(page) === 'pending', `review page: status "${await reviewStatus(page)}", expected pending`);
        const iframe = await page.$('iframe.preview');
        if (f.check(iframe, 'review page: no iframe.preview')) {
            const sandbox = await iframe.getAttribute('sandbox');
            f.check(sandbox !== null, 'review page: the preview iframe has no sandbox attribute');
            f.check(sandbox === null || !/allow-scripts|allow-same-origin/.test(sandbox), `review page: the preview sandbox allows "${sandbox}"`);
            const frame = await iframe.contentFrame();
            const text = frame ? await frame.textContent('body', { timeout: NAV_TIMEOUT }).catch(() => '') : '';
            f.check((text || '').includes('Quarterly inspection notes, memo alpha'), `review page: the preview does not show the document body (got "${(text || '').slice(0, 80)}")`);
        }
        await page.screenshot({ path: path.join(SHOTS, 'admin-review.png'), fullPage: true });
        f.step = 'approve';
        const button = await page.$('form[action$="/approve"] button[type="submit"]');
        if (!f.check(button, 'review page: no Approve button')) return;
        const [resp] = await Promise.all([page.waitForNavigation(), button.click()]);
        f.check(resp && resp.status() === 200 && new URL(page.url()).pathname === `/admin/documents/${row.id}`,
            `approve led to ${page.url()} (status ${resp && resp.status()}), expected the document page`);
        const st = await reviewStatus(page);
        f.check(st !== 'pending' && st !== '', `after approve: status "${st}"`);
        await visit(page, '/c/pending/memo-alpha.html', f);
        f.check((await page.textContent('main')).includes('Quarterly inspection notes, memo alpha'), 'the approved document does not show its text');
        const after = await queueRows(page, f);
        f.check(!after.has('Inspection memo alpha'), 'the approved document is still in the queue');
    } finally { await ctx.close(); }
    takeIncidents(f, label);
});

// An attacker page on another loopback origin: 127.0.0.1 on another port
// (cross-origin but same-site: the SameSite=Strict session cookie goes
// along, so the Origin/Sec-Fetch-Site/token checks must refuse it) and
// 127.0.0.2 when it can be bound (cross-site: no cookie at all).
function attackerServer(host, target) {
    const html = '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>win a prize</title></head><body>' +
        `<form method="post" action="${target}"><input name="csrf_token" value="x"></form>` +
        '<script>document.forms[0].submit()</script></body></html>';
    return new Promise((resolve, reject) => {
        const srv = http.createServer((req, res) => {
            res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
            res.end(html);
        });
        srv.once('error', reject);
        srv.listen(0, host, () => resolve(srv));
    });
}
function closeServer(srv) {
    return new Promise((resolve) => { srv.closeAllConnections?.(); srv.close(() => resolve()); setTimeout(resolve, 2000); });
}

test('admin: a cross-site page that auto-submits an approve form changes nothing', async (f) => {
    const label = 'admin-csrf';
    const servers = [];
    try {
        // the document's id, from the queue (a pending document is not in the API)
        const ctx0 = await newContext({ locale: 'en-US' }, label);
        let row;
        try {
            const page = await adminLogin(ctx0, f);
            row = (await queueRows(page, f)).get('Inspection memo bravo');
        } finally { await ctx0.close(); }
        if (!f.check(row, 'the queue does not list "Inspection memo bravo"')) return;
        const target = `${BASE}/admin/documents/${row.id}/approve`;
        for (const host of ['127.0.0.1', '127.0.0.2']) {
            let srv;
            try { srv = await attackerServer(host, target); } catch (e) {
                console.log(`# cross-site test: cannot listen on ${host} (${e.code || e.message}), skipped that origin`);
                continue;
            }
            servers.push(srv);
            const evil = `http://${host}:${srv.address().port}`;
            f.step = `attack from ${evil}`;
            const ctx = await newContext({ locale: 'en-US' }, label, [evil]);
            try {
                const page = await adminLogin(ctx, f);
                f.step = `attack from ${evil}`;
                const landed = new Promise((resolve) => {
                    const done = (v) => { page.off('response', onResp); page.off('requestfailed', onFail); resolve(v); };
                    const onResp = (r) => { if (r.url() === target && r.request().method() === 'POST') done({ status: r.status() }); };
                    const onFail = (r) => { if (r.url() === target) done({ failed: (r.failure() || {}).errorText }); };
                    page.on('response', onResp);
                    page.on('requestfailed', onFail);
                });
                await page.goto(`${evil}/`, { waitUntil: 'commit' });
                const res = await withTimeout(landed, NAV_TIMEOUT, `the forged POST from ${evil}`);
                if (res.failed) console.log(`# cross-site test: the browser did not send the POST from ${evil}: ${res.failed}`);
                else f.check(res.status === 403, `the forged POST from ${evil} answered ${res.status}, expected 403`);
                await page.waitForLoadState('load').catch(() => {});
                const said = ((await page.textContent('main').catch(() => '')) || '').replace(/\s+/g, ' ').trim().slice(0, 120);
                console.log(`# cross-site test: the forged POST from ${evil} answered ${res.status || res.failed}: "${said}"`);
                // still pending, seen by the logged-in moderator
                await visit(page, `/admin/documents/${row.id}?lang=en`, f);
                const st = await reviewStatus(page);
                f.check(st === 'pending', `after the forged POST from ${evil}: status "${st}", expected pending`);
                await page.screenshot({ path: path.join(SHOTS, `admin-csrf-${host}.png`), fullPage: true });
            } finally { await ctx.close(); }
        }
        f.check(servers.length > 0, 'no attacker server could listen on loopback');
        const r = await fetch(`${BASE}/c/pending/memo-bravo.html`, { redirect: 'manual', signal: AbortSignal.timeout(NAV_TIMEOUT) });
        f.check(r.status === 404, `/c/pending/memo-bravo.html: status ${r.status}, expected 404 (still pending)`);
    } finally {
        for (const srv of servers) await closeServer(srv);
    }
    takeIncidents(f, label);
});

test('no dialog and no outside request anywhere (whole run)', async (f) => {
    takeIncidents(f, null);
});

// ---- run ------------------------------------------------------------------------------
let passed = 0, failed = 0;
const only = process.env.KW_ONLY ? new RegExp(process.env.KW_ONLY) : null;
for (const t of tests) {
    if (only && !only.test(t.name)) continue;
    const f = new Failures();
    const t0 = Date.now();
    try {
        await withTimeout(t.fn(f), TEST_TIMEOUT, t.name);
    } catch (e) {
        f.fail(`exception${f.step ? ` (at ${f.step})` : ''}: ${e && e.stack ? e.stack.split('\n').slice(0, 3).join(' ') : e}`);
        for (const [req, t0] of inflight) {
            f.fail(`request still without an answer after ${((Date.now() - t0) / 1000).toFixed(1)} s: ${req.method()} ${req.url()}`);
        }
    }
    const secs = `(${((Date.now() - t0) / 1000).toFixed(1)} s)`;
    if (f.list.length === 0) { passed++; console.log(`ok - ${t.name} ${secs}`); }
    else {
        failed++;
        console.log(`FAIL - ${t.name} ${secs}`);
        for (const m of f.list) console.log(`    ${m}`);
    }
}
await browser.close().catch(() => {});
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
