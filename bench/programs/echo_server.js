// Echo server: node's event loop. Prints its port first.
const net = require('net');
const server = net.createServer((c) => {
  c.setNoDelay(true);
  c.on('data', (d) => c.write(d));
  c.on('error', () => {});
});
server.listen(0, '127.0.0.1', 4096, () => console.log(server.address().port));
