// The official ali-oss client against vod-local: proof that the server speaks real OSS, not
// only our dialect of it. Run by `cargo xtask test`, which starts vod-local and sets
// VOD_LOCAL_URL.
import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OSS from 'ali-oss';

const base = process.env.VOD_LOCAL_URL;
if (!base) throw new Error('VOD_LOCAL_URL is not set: run this through `cargo xtask test`');

const decode = (b64) => JSON.parse(Buffer.from(b64, 'base64').toString('utf8'));

async function uploadAuth(fileName) {
  const response = await fetch(`${base}/api/upload-auth`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'interop', fileName }),
  });
  assert.equal(response.status, 200);
  const answer = await response.json();
  return { auth: decode(answer.UploadAuth), address: decode(answer.UploadAddress) };
}

// Node does not resolve `*.localhost`, so the bucket goes in the path (sldEnable). The endpoint
// is a name, not an IP address: for an IP endpoint ali-oss sends a Host header naming a real OSS
// region's host, whatever the URL.
const endpoint = new URL(base);
endpoint.hostname = 'localhost';

function client({ auth, address }, overrides = {}) {
  return new OSS({
    accessKeyId: auth.AccessKeyId,
    accessKeySecret: auth.AccessKeySecret,
    stsToken: auth.SecurityToken,
    bucket: address.Bucket,
    endpoint: endpoint.origin,
    sldEnable: true,
    ...overrides,
  });
}

async function admin(path, method = 'GET') {
  const response = await fetch(`${base}/_admin/${path}`, { method });
  assert.ok(response.ok, `admin ${path}: ${response.status}`);
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

// Every test starts from the server's start, whatever ran against it before.
beforeEach(() => admin('reset', 'POST'));

test('multipart upload of a key with spaces and non-ASCII characters, then get', async () => {
  const creds = await uploadAuth('interop 测试 été + more.bin');
  const key = creds.address.FileName;
  assert.match(key, /^sv\/[^/]+\/interop 测试 été \+ more\.bin$/);
  const bytes = randomBytes(3 * 1024 * 1024 + 12345);
  const dir = mkdtempSync(join(tmpdir(), 'vod-interop-'));
  try {
    const path = join(dir, 'upload.bin');
    writeFileSync(path, bytes);
    const oss = client(creds);
    const result = await oss.multipartUpload(key, path, { partSize: 1024 * 1024, parallel: 2 });
    assert.equal(result.res.status, 200);

    const got = await oss.get(key);
    assert.equal(got.res.status, 200);
    assert.ok(Buffer.compare(got.content, bytes) === 0, 'GetObject returns the uploaded bytes');

    const { objects } = await admin('objects');
    const stored = objects.find((o) => o.key === key);
    assert.equal(stored.size, bytes.length);
    assert.equal(stored.md5, createHash('md5').update(bytes).digest('hex'));
    const { uploads } = await admin('uploads');
    const upload = uploads.find((u) => u.key === key);
    assert.equal(upload.state, 'completed');
    assert.equal(upload.parts.length, 4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a wrong secret gets SignatureDoesNotMatch', async () => {
  const creds = await uploadAuth('wrong-secret.bin');
  const oss = client(creds, { accessKeySecret: 'not-the-secret' });
  await assert.rejects(oss.put(creds.address.FileName, Buffer.from('x')), (err) => {
    assert.equal(err.status, 403);
    assert.equal(err.code, 'SignatureDoesNotMatch');
    return true;
  });
});

test('expired credentials get SecurityTokenExpired', async () => {
  const creds = await uploadAuth('expired.bin');
  const oss = client(creds);
  await oss.put(creds.address.FileName, Buffer.from('before expiry'));
  await admin('expire-credentials', 'POST');
  await assert.rejects(oss.put(creds.address.FileName, Buffer.from('after expiry')), (err) => {
    assert.equal(err.status, 403);
    assert.equal(err.code, 'SecurityTokenExpired');
    return true;
  });
});
