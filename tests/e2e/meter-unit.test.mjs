// The demo's speed and time left (www/meter.js), in Node: what a person reads must be right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Meter, speed, timeLeft } from '../../www/meter.js';

test('the speed is the bytes of the last three seconds over their time', () => {
  const meter = new Meter();
  assert.equal(meter.add(0, 0), null, 'one sample says nothing');
  assert.equal(meter.add(200, 5), null, 'nor a fifth of a second');
  assert.equal(meter.add(1000, 1e6), 1e6);
  assert.equal(meter.add(2000, 2e6), 1e6);
  // A burst, then a stall: the rate follows the window, not the whole past.
  assert.equal(meter.add(3000, 8e6), 8e6 / 3);
  assert.equal(meter.add(4000, 8e6), 7e6 / 3);
  assert.equal(meter.add(7000, 8e6), 0);
  meter.reset();
  assert.equal(meter.add(8000, 9e6), null, 'after a reset it starts afresh');
});

test('speed and time left read as a person expects', () => {
  assert.equal(speed(null), '');
  assert.equal(speed(12_345_678), '12.3 MB/s');
  assert.equal(speed(456_789), '457 KB/s');
  assert.equal(speed(0), '0 KB/s');
  assert.equal(timeLeft(10e6, 1e6), '10 s left');
  assert.equal(timeLeft(10e6, 3e6), '4 s left');
  assert.equal(timeLeft(185e6, 1e6), '3 min 05 s left');
  assert.equal(timeLeft(3720e6, 1e6), '1 h 02 min left');
  assert.equal(timeLeft(10e6, 0), '', 'nothing while stalled');
  assert.equal(timeLeft(10e6, null), '');
  assert.equal(timeLeft(0, 1e6), '');
});
