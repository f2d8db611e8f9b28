// conformance.mjs - the official TypeScript SDK (npm @anthropic-ai/sdk,
// the version pinned in package-lock.json) talks to scripts/fake-anthropic.
//
// Design note: the fake is only worth its tests if a real client reads it
// as the real API. So the SDK itself, untouched, with its own defaults
// (Authorization: Bearer, anthropic-version of its release), is pointed at
// the fake on loopback and every answer is parsed by the SDK and asserted:
// the models list (paged), a plain message, a streamed message with a
// thinking block and a tool call assembled by the SDK's stream helpers
// (finalMessage, the tool input parsed), sent back with its tool result
// (the fake checks the thinking signature), and a wrong key (the SDK's
// AuthenticationError, status 401). A fetch wrapper records the headers
// the SDK sent. Run by tests/sdk/run-conformance (meson test
// sdk_conformance) with a clean HOME and no ANTHROPIC_* variables.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';

const here = dirname(fileURLToPath(import.meta.url));
const root = process.env.SOURCE_ROOT || join(here, '..', '..');
const KEY = 'sdk-conformance-key-5d1e0b9a';
const MODEL = 'claude-sonnet-5-5';

function startFake(dir) {
  const keyFile = join(dir, 'key');
  writeFileSync(keyFile, KEY + '\n', { mode: 0o600 });
  const proc = spawn('python3', [join(root, 'scripts', 'fake-anthropic'),
    '--scenario', join(here, 'scenario.json'), '--key-file', keyFile,
    '--record', join(dir, 'record.jsonl')],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('fake: no PORT line')),
      15000);
    proc.on('exit', (code) => reject(new Error(`fake exited ${code}`)));
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /^PORT (\d+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, port: Number(m[1]) });
      }
    });
  });
}

const sent = [];
function recordingFetch(url, init) {
  sent.push({ url: String(url), headers: new Headers(init?.headers) });
  return fetch(url, init);
}

async function modelsList(client) {
  const page = await client.models.list({ limit: 3 });
  assert.equal(page.data.length, 3);
  assert.equal(page.data[0].type, 'model');
  assert.equal(page.data[0].id, 'claude-fable-5-2');
  assert.equal(page.has_more, true);
  const ids = [];
  for await (const m of client.models.list({ limit: 5 })) ids.push(m.id);
  assert.ok(ids.length > 5, `auto-paging gave ${ids.length} models`);
  assert.equal(new Set(ids).size, ids.length, 'a model listed twice');
  assert.ok(ids.includes(MODEL) && ids.includes('claude-mythos-5-2'));
  assert.ok(!ids.includes('claude-sonnet-4-5'), 'a retired model listed');
  const one = await client.models.retrieve(MODEL);
  assert.equal(one.id, MODEL);
}

async function plainMessage(client) {
  const msg = await client.messages.create({
    model: MODEL, max_tokens: 256, system: 'You are agent:plain.',
    messages: [{ role: 'user', content: 'Say hello.' }],
  });
  assert.equal(msg.type, 'message');
  assert.equal(msg.role, 'assistant');
  assert.match(msg.id, /^msg_/);
  assert.equal(msg.stop_reason, 'end_turn');
  assert.deepEqual(msg.content,
    [{ type: 'text', text: 'Hello from the fake, ünicode and "quotes".' }]);
  assert.ok(msg.usage.input_tokens > 0 && msg.usage.output_tokens > 0);
  assert.match(msg._request_id, /^req_/);
}

const TOOLS = [{
  name: 'get_weather', description: 'Weather of a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } } },
}];
const WANT_INPUT = { city: 'Zürich', units: 'metric', days: [1, 2],
  detail: { wind: true, text: 'a "quoted" \\ path' } };

async function streamedToolCall(client) {
  const params = { model: MODEL, max_tokens: 2048,
    system: 'You are agent:tool.', tools: TOOLS };
  const messages = [{ role: 'user', content: 'Weather in Zürich?' }];
  const stream = client.messages.stream({ ...params, messages });
  let texts = '';
  let jsonDeltas = 0;
  stream.on('text', (t) => { texts += t; });
  stream.on('inputJson', () => { jsonDeltas += 1; });
  const msg = await stream.finalMessage();
  assert.equal(msg.stop_reason, 'tool_use');
  assert.deepEqual(msg.content.map((b) => b.type),
    ['thinking', 'text', 'tool_use']);
  assert.equal(msg.content[0].thinking,
    'The user wants the weather; call the tool.');
  assert.ok(msg.content[0].signature.length > 20, 'no signature assembled');
  assert.equal(texts, 'Looking it up.');
  const tool = msg.content[2];
  assert.equal(tool.name, 'get_weather');
  assert.match(tool.id, /^toolu_/);
  assert.deepEqual(tool.input, WANT_INPUT);
  assert.ok(jsonDeltas > 1, `input in ${jsonDeltas} fragment(s)`);
  // the SDK's message goes back as is: the fake verifies the thinking
  messages.push({ role: 'assistant', content: msg.content });
  messages.push({ role: 'user', content: [
    { type: 'tool_result', tool_use_id: tool.id, content: '14 C' }] });
  const done = await client.messages.create({ ...params, messages });
  assert.equal(done.content[0].text, 'It is 14 C in Zürich.');
  // and a changed thinking block is refused, parsed as the SDK's 400
  messages[1].content[0] = { ...msg.content[0], thinking: 'edited' };
  await assert.rejects(client.messages.create({ ...params, messages }),
    (e) => e instanceof Anthropic.BadRequestError && e.status === 400 &&
      /Invalid `signature`/.test(e.error.error.message));
}

async function authenticationError(port) {
  const bad = new Anthropic({ apiKey: KEY + 'x', maxRetries: 0,
    baseURL: `http://127.0.0.1:${port}` });
  await assert.rejects(bad.models.list(), (e) => {
    assert.ok(e instanceof Anthropic.AuthenticationError, e.constructor.name);
    assert.equal(e.status, 401);
    assert.equal(e.error.type, 'error');
    assert.equal(e.error.error.type, 'authentication_error');
    assert.match(e.requestID, /^req_/);
    return true;
  });
}

function checkHeaders(dir) {
  assert.ok(sent.length >= 6, `${sent.length} requests`);
  for (const r of sent) {
    assert.equal(r.headers.get('authorization'), `Bearer ${KEY}`, r.url);
    assert.equal(r.headers.get('x-api-key'), null, r.url);
    assert.equal(r.headers.get('anthropic-version'), '2026-10-21');
    assert.match(r.headers.get('user-agent'), /^Anthropic\/JS 1\./);
  }
  const rec = readFileSync(join(dir, 'record.jsonl'), 'utf8');
  assert.ok(!rec.includes(KEY), 'the key reached the fake\'s record');
  for (const line of rec.trim().split('\n')) {
    const e = JSON.parse(line);
    assert.equal(e.headers['anthropic-version'], '2026-10-21');
  }
}

async function main() {
  for (const k of Object.keys(process.env)) {
    assert.ok(!k.startsWith('ANTHROPIC_'), `${k} is set: run clean`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'gao-sdk-'));
  const { proc, port } = await startFake(dir);
  proc.removeAllListeners('exit');
  try {
    const client = new Anthropic({ apiKey: KEY, maxRetries: 0,
      baseURL: `http://127.0.0.1:${port}`, fetch: recordingFetch });
    const steps = [['models list', () => modelsList(client)],
      ['plain message', () => plainMessage(client)],
      ['streamed tool call', () => streamedToolCall(client)],
      ['authentication error', () => authenticationError(port)],
      ['headers sent', () => checkHeaders(dir)]];
    for (const [name, step] of steps) {
      const t0 = Date.now();
      await step();
      console.log(`ok - ${name} (${Date.now() - t0} ms)`);
    }
    const sdk = JSON.parse(readFileSync(join(here, 'node_modules',
      '@anthropic-ai', 'sdk', 'package.json'), 'utf8'));
    console.log(`@anthropic-ai/sdk ${sdk.version}, node ${process.version}`);
  } finally {
    proc.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`not ok - ${e.stack || e}`);
  process.exit(1);
});
