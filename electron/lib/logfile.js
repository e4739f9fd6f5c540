// A small rotating log: shell.log, shell.log.1 … shell.log.<keep> (Django rotates its own
// django.log beside it: one writer per file).
import fs from 'node:fs';
import path from 'node:path';
import { DATA_DIR } from './contract.js';

export function openRotatingLog(dir, { name = DATA_DIR.shell_log, maxBytes = 1_000_000, keep = 3 } = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  let size = fs.existsSync(file) ? fs.statSync(file).size : 0;
  let stream = fs.createWriteStream(file, { flags: 'a' });

  function rotate() {
    stream.end();
    for (let i = keep - 1; i >= 1; i -= 1) {
      const from = `${file}.${i}`;
      if (fs.existsSync(from)) fs.renameSync(from, `${file}.${i + 1}`);
    }
    if (fs.existsSync(file)) fs.renameSync(file, `${file}.1`);
    stream = fs.createWriteStream(file, { flags: 'a' });
    size = 0;
  }

  return {
    file,
    write(line) {
      const text = line.endsWith('\n') ? line : `${line}\n`;
      if (size + text.length > maxBytes) rotate();
      stream.write(text);
      size += Buffer.byteLength(text);
    },
    close() {
      return new Promise((resolve) => stream.end(resolve));
    },
  };
}
