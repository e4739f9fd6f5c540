import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorPageDataUrl, renderErrorPage } from '../lib/errorPage.js';

test('the error page shows the reason, the escaped log tail and a Retry button', () => {
  const html = renderErrorPage({ message: 'The server exited (code 3).',
    logLines: ['run_django: database <newer>', 'x & y'], logFile: '/logs/django.log' });
  assert.match(html, /The server exited \(code 3\)\./);
  assert.match(html, /run_django: database &lt;newer&gt;/);
  assert.match(html, /x &amp; y/);
  assert.match(html, /<button id="retry"[^>]*data-djdesk-retry>Retry<\/button>/);
  assert.match(html, /\/logs\/django\.log/);
  assert.doesNotMatch(html, /<newer>/);
});

test('an empty log still explains itself, and the data URL round-trips', () => {
  const html = renderErrorPage({ message: 'm' });
  assert.match(html, /the server printed nothing/);
  const url = errorPageDataUrl({ message: 'm' });
  assert.ok(url.startsWith('data:text/html;charset=utf-8,'));
  assert.equal(decodeURIComponent(url.split(',').slice(1).join(',')), html);
});

test("the page names the project's own product, escaped", () => {
  const html = renderErrorPage({ productName: 'Field <Notes>', message: 'm' });
  assert.match(html, /<title>Field &lt;Notes&gt; could not start<\/title>/);
  assert.match(html, /<h1>Field &lt;Notes&gt; could not start its server<\/h1>/);
  assert.doesNotMatch(html, /DJDesk/);
});
