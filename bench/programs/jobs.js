// Job runner: N runs of /bin/true, at most K at a time, each one's output
// captured -- child_process.execFile.
const { execFile } = require('child_process');
const n = +process.argv[2], k = +process.argv[3];
let started = 0;
function next() {
  if (started >= n) return;
  started++;
  execFile('/bin/true', (err) => { if (err) throw err; next(); });
}
for (let i = 0; i < k; i++) next();
