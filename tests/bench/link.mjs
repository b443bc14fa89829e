// A WAN on loopback: a SOCKS5 proxy whose connections all share one link per direction, with a
// byte rate and a one-way delay. Chromium goes through it with `--proxy-server=socks5://...`
// (per browser context). Every chunk is delivered when the shared link has carried it, plus
// the delay; a sender far ahead of the link is paused, as TCP's window would hold it back.
import net from 'node:net';

// How far ahead of the link a connection may queue before it is paused.
const MAX_AHEAD_MS = 50;

class Direction {
  constructor(bytesPerMs, delayMs) {
    this.bytesPerMs = bytesPerMs;
    this.delayMs = delayMs;
    this.freeAt = 0;
    this.bytes = 0;
  }

  // When a chunk of `length` bytes sent now arrives; the link is busy until it has carried it.
  schedule(length) {
    const now = performance.now();
    this.freeAt = Math.max(this.freeAt, now) + length / this.bytesPerMs;
    this.bytes += length;
    return { deliverIn: this.freeAt + this.delayMs - now, ahead: this.freeAt - now };
  }
}

// Chunks go out in the order they came, each once the link has carried it and the delay has
// passed; one timer at a time per connection keeps them in order.
function pipeThrough(from, to, direction) {
  const queue = [];
  let ended = false;
  const drain = () => {
    while (queue.length && queue[0].at <= performance.now()) {
      const { chunk } = queue.shift();
      if (!to.destroyed) to.write(chunk);
    }
    if (queue.length) setTimeout(drain, queue[0].at - performance.now());
    else if (ended) to.end();
  };
  from.on('data', (chunk) => {
    const { deliverIn, ahead } = direction.schedule(chunk.length);
    queue.push({ chunk, at: performance.now() + deliverIn });
    if (queue.length === 1) setTimeout(drain, deliverIn);
    if (ahead > MAX_AHEAD_MS) {
      from.pause();
      setTimeout(() => from.resume(), ahead - MAX_AHEAD_MS);
    }
  });
  from.on('end', () => {
    ended = true;
    if (!queue.length) to.end();
  });
  from.on('error', () => to.destroy());
}

// Reads exactly `n` bytes from a paused-mode handshake buffer.
function reader(socket) {
  let buffer = Buffer.alloc(0);
  let wanted = null;
  socket.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    if (wanted && buffer.length >= wanted.n) {
      const { n, resolve } = wanted;
      wanted = null;
      const out = buffer.subarray(0, n);
      buffer = buffer.subarray(n);
      resolve(out);
    }
  });
  return {
    read(n) {
      if (buffer.length >= n) {
        const out = buffer.subarray(0, n);
        buffer = buffer.subarray(n);
        return Promise.resolve(out);
      }
      return new Promise((resolve) => { wanted = { n, resolve }; });
    },
    rest: () => buffer,
  };
}

// Every name the browser asks for is on this machine: the proxy connects to loopback.
async function handshake(client) {
  const input = reader(client);
  const [, methods] = await input.read(2);
  await input.read(methods);
  client.write(Buffer.from([5, 0]));
  const [, command, , type] = await input.read(4);
  if (type === 1) await input.read(4);
  else if (type === 3) await input.read((await input.read(1))[0]);
  else if (type === 4) await input.read(16);
  const port = (await input.read(2)).readUInt16BE(0);
  client.removeAllListeners('data');
  // Held until the upstream connection is up; pipeThrough's listener takes over from there.
  client.pause();
  if (command !== 1) throw new Error(`SOCKS command ${command} is not CONNECT`);
  return { port, early: input.rest() };
}

// Starts the link: `rttMs` round trip, `mbit` Mbit/s each way, shared by every connection.
export function startLink({ rttMs, mbit }) {
  const bytesPerMs = (mbit * 1e6) / 8 / 1000;
  const up = new Direction(bytesPerMs, rttMs / 2);
  const down = new Direction(bytesPerMs, rttMs / 2);
  const sockets = new Set();
  const server = net.createServer(async (client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    try {
      const { port, early } = await handshake(client);
      const upstream = net.connect(port, '127.0.0.1');
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
      upstream.on('connect', () => {
        client.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]));
        if (early.length) upstream.write(early);
        pipeThrough(client, upstream, up);
        pipeThrough(upstream, client, down);
        client.resume();
      });
    } catch {
      client.destroy();
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({
      url: `socks5://127.0.0.1:${server.address().port}`,
      // Bytes carried so far, each way.
      carried: () => ({ up: up.bytes, down: down.bytes }),
      close() {
        for (const socket of sockets) socket.destroy();
        return new Promise((done) => server.close(done));
      },
    }));
  });
}
