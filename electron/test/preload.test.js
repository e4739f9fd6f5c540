import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { JSDOM } from 'jsdom';
import { UI } from '../lib/contract.js';

const require = createRequire(import.meta.url);
const { installDropHandler, installDocLinks, normalisePath } = require('../preload.cjs');
const WIZARD_PATH_KEY = UI.storage.wizard_project_path;

function page() {
  const dom = new JSDOM('<div class="workspace-dropzone"><p>Drop</p></div><a data-doc-link="https://docs.djangoproject.com/" href="/docs/offline/">Docs</a><div id="other"></div>',
    { url: 'http://127.0.0.1:8000/' });
  return dom.window;
}

function dropOn(win, target, files) {
  const event = new win.Event('drop', { bubbles: true, cancelable: true });
  event.dataTransfer = { files };
  target.dispatchEvent(event);
  return event;
}

test('a folder dropped on the dropzone fires djdesk:workspace-drop and is stored', () => {
  const win = page();
  const seen = [];
  win.addEventListener('djdesk:workspace-drop', (event) => seen.push(event.detail.path));
  installDropHandler(win, UI, (file) => file.realPath);
  const event = dropOn(win, win.document.querySelector('.workspace-dropzone p'),
    [{ name: 'polls', realPath: '/home/me/projects/polls/' }]);
  assert.deepEqual(seen, ['/home/me/projects/polls']);
  assert.equal(win.localStorage.getItem(WIZARD_PATH_KEY), '/home/me/projects/polls');
  assert.equal(event.defaultPrevented, true);
});

test('drops elsewhere, and drops without a path, are ignored', () => {
  const win = page();
  const seen = [];
  win.addEventListener('djdesk:workspace-drop', (event) => seen.push(event.detail.path));
  installDropHandler(win, UI, () => '');
  dropOn(win, win.document.getElementById('other'), [{ name: 'x' }]);
  dropOn(win, win.document.querySelector('.workspace-dropzone'), [{ name: 'x' }]);
  assert.deepEqual(seen, []);
  assert.equal(win.localStorage.getItem(WIZARD_PATH_KEY), null);
});

test('paths are normalised', () => {
  assert.equal(normalisePath('C:\\Users\\me\\site\\'), 'C:\\Users\\me\\site');
  assert.equal(normalisePath('/a//b/'), '/a/b');
  assert.equal(normalisePath('/'), '/');
  assert.equal(normalisePath('  '), '');
});

test('data-doc-link anchors open in the default browser', () => {
  const win = page();
  const opened = [];
  installDocLinks(win, (url) => opened.push(url));
  const link = win.document.querySelector('a[data-doc-link]');
  const event = new win.MouseEvent('click', { bubbles: true, cancelable: true });
  link.dispatchEvent(event);
  assert.deepEqual(opened, ['https://docs.djangoproject.com/']);
  assert.equal(event.defaultPrevented, true);
});
