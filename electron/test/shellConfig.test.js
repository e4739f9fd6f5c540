import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { PAYLOAD } from '../lib/contract.js';
import { loadShellConfig, shellConfig } from '../lib/shellConfig.js';
import { electronDir, repoDir } from './helpers.js';

test("the inspector's shell: payload beside it, the source tree as its development server", () => {
  const config = loadShellConfig(electronDir);
  assert.equal(config.productName, 'DJDesk');
  assert.equal(config.payloadDir, path.join(electronDir, PAYLOAD.root));
  assert.deepEqual(config.devServer, { appDir: path.join(repoDir, 'app'), settings: 'djdesk.settings.local' });
});

test("a scaffolded project's shell: the payload in the project's output dir", () => {
  const config = shellConfig({
    name: 'field-notes', productName: 'Field Notes',
    djdesk: { payloadDir: '../.djdesk/django-bundle', devServer: { appDir: '..' } },
  }, '/src/site/electron');
  assert.equal(config.productName, 'Field Notes');
  assert.equal(config.payloadDir, '/src/site/.djdesk/django-bundle');
  assert.deepEqual(config.devServer, { appDir: '/src/site', settings: null });
});

test('without the field: the payload beside the shell, no development server', () => {
  const config = shellConfig({ name: 'x' }, '/s');
  assert.equal(config.productName, 'x');
  assert.equal(config.payloadDir, path.join('/s', PAYLOAD.root));
  assert.equal(config.devServer, null);
});
