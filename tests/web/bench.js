// The baseline for tests/bench.rs: the same multipart upload done by hand with plain fetch,
// the same slices, the same parallelism, signed with WebCrypto's HMAC-SHA1.

async function hmacSha1Base64(secret, text) {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode(text)));
  return btoa(String.fromCharCode(...mac));
}

async function signed(auth, address, method, query, contentType, body) {
  const date = new Date().toUTCString();
  const subresource = query ? `?${query}` : '';
  const stringToSign = `${method}\n\n${contentType}\n${date}\nx-oss-date:${date}\nx-oss-security-token:${auth.SecurityToken}\n/${address.Bucket}/${address.FileName}${subresource}`;
  const signature = await hmacSha1Base64(auth.AccessKeySecret, stringToSign);
  const headers = {
    'x-oss-date': date,
    'x-oss-security-token': auth.SecurityToken,
    authorization: `OSS ${auth.AccessKeyId}:${signature}`,
  };
  if (contentType) headers['content-type'] = contentType;
  const host = address.Endpoint.replace('://', `://${address.Bucket}.`);
  const key = address.FileName.split('/').map(encodeURIComponent).join('/');
  const response = await fetch(`${host}/${key}?${query}`, { method, headers, body });
  if (!response.ok) throw new Error(`${method} ${query}: HTTP ${response.status} ${await response.text()}`);
  return response;
}

// Uploads `file` in `partSize` slices, `parallel` at a time; resolves to the milliseconds taken.
export async function plainUpload(base, file, partSize, parallel) {
  const answer = await (await fetch(`${base}/api/upload-auth`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'baseline', fileName: 'baseline.mp4' }),
  })).json();
  const auth = JSON.parse(atob(answer.UploadAuth));
  const address = JSON.parse(atob(answer.UploadAddress));
  const started = performance.now();
  const init = await signed(auth, address, 'POST', 'uploads', 'video/mp4');
  const uploadId = new DOMParser().parseFromString(await init.text(), 'application/xml').querySelector('UploadId').textContent;
  const count = Math.max(1, Math.ceil(file.size / partSize));
  const etags = new Array(count);
  let next = 1;
  const worker = async () => {
    while (next <= count) {
      const n = next++;
      const slice = file.slice((n - 1) * partSize, Math.min(n * partSize, file.size));
      const response = await signed(auth, address, 'PUT', `partNumber=${n}&uploadId=${uploadId}`, 'application/octet-stream', slice);
      etags[n - 1] = response.headers.get('etag');
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  const parts = etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${etag}</ETag></Part>`).join('');
  await signed(auth, address, 'POST', `uploadId=${uploadId}`, 'application/xml', `<CompleteMultipartUpload>${parts}</CompleteMultipartUpload>`);
  return performance.now() - started;
}

export function now() {
  return performance.now();
}
