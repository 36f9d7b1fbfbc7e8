// Drives a real `veil node` (simulated TEE and GPU, in front of a fake
// upstream) with third-party clients: the `openai` npm package for chat, and
// `ethers` / `@noble/curves` to verify signatures — none of Veil's code.
// Run: VEIL_BIN=build/veil node --test tests/js/node_integration.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { once } from 'node:events';

// The node's certificate is self-signed: its key is attested instead.
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';

const { default: OpenAI } = await import('openai');
const { verifyMessage } = await import('ethers');
const { ed25519 } = await import('@noble/curves/ed25519');
const { QuoteVerifier } = (await import('@phala/dcap-qvl')).default ?? (await import('@phala/dcap-qvl'));
import { X509Certificate } from 'node:crypto';

const MODEL = 'js-test-model';
const sha256 = (s) => createHash('sha256').update(s).digest('hex');
let upstream, node, base, stderr = '';

function fakeUpstream() {
  return http.createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    const p = JSON.parse(body);
    const text = 'Hello from the upstream, ' + p.messages.at(-1).content;
    if (!p.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'chatcmpl-js1', object: 'chat.completion', created: 1700000000, model: 'up',
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 } }, null, 2));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const piece of text.split(' ')) {
      res.write('data: ' + JSON.stringify({ id: 'chatcmpl-js2', object: 'chat.completion.chunk', created: 1700000000, model: 'up',
        choices: [{ index: 0, delta: { content: piece + ' ' }, finish_reason: null }] }) + '\n\n');
    }
    res.write('data: ' + JSON.stringify({ id: 'chatcmpl-js2', object: 'chat.completion.chunk', created: 1700000000, model: 'up',
      choices: [], usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 } }) + '\n\n');
    res.end('data: [DONE]\n\n');
  });
}

before(async () => {
  upstream = fakeUpstream().listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  const bin = process.env.VEIL_BIN;
  assert.ok(bin, 'VEIL_BIN must point to the veil binary');
  node = spawn(bin, ['node', '--listen', '127.0.0.1:0', '--tee', 'simulated', '--gpu', 'simulated',
    '--upstream', `http://127.0.0.1:${upstream.address().port}`, '--served-model-name', MODEL], { stdio: ['ignore', 'pipe', 'pipe'] });
  node.stderr.on('data', (d) => { stderr += d; });
  let out = '';
  const port = await new Promise((resolve, reject) => {
    node.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/ready port=(\d+)/);
      if (m) resolve(Number(m[1]));
    });
    node.on('exit', (code) => reject(new Error('node exited ' + code + ': ' + stderr)));
  });
  base = `https://127.0.0.1:${port}`;
});

after(async () => {
  if (node && node.exitCode === null) {
    node.kill('SIGTERM');
    const [code] = await once(node, 'exit');
    assert.equal(code, 0, 'SIGTERM is a clean shutdown');
  }
  upstream?.close();
});

async function report(algo, nonce) {
  const r = await fetch(`${base}/v1/attestation/report?signing_algo=${algo}&nonce=${nonce}&include_tls_fingerprint=true`);
  assert.equal(r.status, 200);
  return r.json();
}

async function checkSignatures(chatId, requestBody, responseText) {
  const nonce = randomBytes(32).toString('hex');
  const ecdsa = await report('ecdsa', nonce);
  const ed = await report('ed25519', nonce);
  // report_data, decoded here from the TDX quote v4 layout: 48-byte header, REPORTDATA at body offset 520.
  for (const [rep, addrHex] of [[ecdsa, ecdsa.signing_address.slice(2)], [ed, ed.signing_public_key]]) {
    const quote = Buffer.from(rep.intel_quote, 'hex');
    const rd = quote.subarray(48 + 520, 48 + 584);
    assert.equal(rd.subarray(32).toString('hex'), nonce);
    const bound = createHash('sha256').update(Buffer.concat([Buffer.from(addrHex, 'hex'), Buffer.from(rep.tls_cert_fingerprint, 'hex')])).digest('hex');
    assert.equal(rd.subarray(0, 32).toString('hex'), bound);
  }
  // NEAR-style verifiers hash JSON.stringify(JSON.parse(body)); Veil's bytes are already in that form.
  if (!responseText.startsWith('data:')) assert.equal(JSON.stringify(JSON.parse(responseText)), responseText);
  const expected = `${MODEL}:${sha256(requestBody)}:${sha256(responseText)}`;
  const s1 = await (await fetch(`${base}/v1/signature/${chatId}?model=${MODEL}&signing_algo=ecdsa`)).json();
  assert.equal(s1.text, expected);
  assert.equal(verifyMessage(s1.text, s1.signature).toLowerCase(), ecdsa.signing_address.toLowerCase());
  const s2 = await (await fetch(`${base}/v1/signature/${chatId}?model=${MODEL}&signing_algo=ed25519`)).json();
  assert.equal(s2.text, expected);
  assert.ok(ed25519.verify(Buffer.from(s2.signature, 'hex'), Buffer.from(s2.text, 'utf8'), Buffer.from(ed.signing_public_key, 'hex')));
}

test('openai client: non-streaming chat, signed with both keys', async () => {
  const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'not-needed' });
  const params = { model: MODEL, messages: [{ role: 'user', content: 'ünïcode ✓ and "quotes"' }] };
  const completion = await client.chat.completions.create(params);
  assert.match(completion.choices[0].message.content, /Hello from the upstream/);
  // The raw bytes, for hashing: the openai client sends JSON.stringify(params).
  const raw = await client.chat.completions.create(params).asResponse();
  const text = await raw.text();
  const id = JSON.parse(text).id;
  await checkSignatures(id, JSON.stringify(params), text);
});

test('openai client: streaming chat, every SSE byte signed', async () => {
  const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'not-needed' });
  const params = { model: MODEL, messages: [{ role: 'user', content: 'stream please' }], stream: true };
  let content = '';
  let id;
  for await (const chunk of await client.chat.completions.create(params)) {
    id ??= chunk.id;
    content += chunk.choices[0]?.delta?.content ?? '';
  }
  assert.match(content, /Hello from the upstream/);
  const r = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) });
  const raw = await r.text();
  assert.ok(raw.endsWith('data: [DONE]\n\n'));
  const first = JSON.parse(raw.slice(6, raw.indexOf('\n\n')));
  await checkSignatures(first.id, JSON.stringify(params), raw);
});

test('errors are OpenAI-shaped and the client sees them as such', async () => {
  const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'not-needed', maxRetries: 0 });
  await assert.rejects(client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }),
    (e) => e.status === 404 && e.error?.code === 'model_not_found');
  const models = await client.models.list();
  assert.equal(models.data[0].id, MODEL);
});

test("Phala's dcap-qvl (an independent verifier) accepts the simulated quote under the simulation root only", async () => {
  const nonce = randomBytes(32).toString('hex');
  const rep = await report('ecdsa', nonce);
  const quote = Buffer.from(rep.intel_quote, 'hex');
  const sim = rep.info.veil_simulation;
  const now = Math.floor(Date.now() / 1000);
  const verifier = QuoteVerifier.newWithRootCa(new X509Certificate(sim.root_ca).raw);
  const result = verifier.verify(quote, sim.collateral, now);
  assert.equal(result.status, 'UpToDate');
  // Under Intel's real root the same quote must fail.
  const dcap = await import('@phala/dcap-qvl');
  assert.throws(() => (dcap.verify ?? dcap.default.verify)(quote, sim.collateral, now));
});
