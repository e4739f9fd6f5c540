// The page shown instead of a blank window when Django does not come up.

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  })[c]);
}

export function renderErrorPage({ productName = 'The app', message, logLines = [], logFile = '' }) {
  const name = escapeHtml(productName);
  const log = logLines.length ? logLines.map(escapeHtml).join('\n') : '(the server printed nothing)';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${name} could not start</title>
<style>body{font:14px system-ui,sans-serif;margin:32px;color:#1d2430}pre{background:#f3f4f6;padding:12px;overflow:auto;max-height:50vh}button{padding:8px 16px}</style>
</head><body>
<h1>${name} could not start its server</h1>
<p class="reason">${escapeHtml(message)}</p>
<h2>Last log lines</h2>
<pre class="log">${log}</pre>
${logFile ? `<p>Full log: <code>${escapeHtml(logFile)}</code></p>` : ''}
<button id="retry" type="button" data-djdesk-retry>Retry</button>
</body></html>`;
}

export function errorPageDataUrl(options) {
  return `data:text/html;charset=utf-8,${encodeURIComponent(renderErrorPage(options))}`;
}
