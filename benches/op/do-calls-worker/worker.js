// The Worker of benches/op/do-calls.mjs: what one store operation costs a Worker, by the way
// it reaches its data. Each request makes OPS operations of one kind on 16 objects (or KV),
// so the per-operation cost is the difference from GET /none divided by OPS.
//
//   GET /none                       no operation: the floor
//   GET /kv-get                     Workers KV get
//   GET /rpc-get    /rpc-put        a Durable Object method called over RPC (the class
//                                   derives from DurableObject), one SQL statement
//   GET /fetch-get  /fetch-put      the same through the object's fetch handler: a Request
//                                   in, a Response out, the body read with arrayBuffer()
//   GET /healthz                    for startWrangler

import { DurableObject } from 'cloudflare:workers';

const OPS = 4;
const SHARDS = 16;
const TABLE = 'CREATE TABLE IF NOT EXISTS records (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires INTEGER NOT NULL)';
const SELECT = 'SELECT value FROM records WHERE key = ? AND expires > ?';
const UPSERT = 'INSERT OR REPLACE INTO records (key, value, expires) VALUES (?, ?, ?)';
const FAR = 9_999_999_999;

function lookUp(sql, key) {
  const row = sql.exec(SELECT, key, 0).toArray()[0];
  return row ? row.value : null;
}

export class ByRpc extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(TABLE);
  }

  get(key) {
    return lookUp(this.sql, key);
  }

  put(key, value) {
    this.sql.exec(UPSERT, key, value, FAR);
    return true;
  }
}

export class ByFetch {
  constructor(ctx) {
    this.sql = ctx.storage.sql;
    this.sql.exec(TABLE);
  }

  async fetch(request) {
    const url = new URL(request.url);
    const key = url.searchParams.get('key');
    if (url.pathname === '/put') {
      this.sql.exec(UPSERT, key, new Uint8Array(await request.arrayBuffer()), FAR);
      return new Response(null, { status: 204 });
    }
    const value = lookUp(this.sql, key);
    return value ? new Response(value) : new Response(null, { status: 404 });
  }
}

const VALUE = new Uint8Array(200);

const operations = {
  none: async () => {},
  'kv-get': (env, key) => env.KV.get(key),
  'rpc-get': (env, key, shard) => env.BY_RPC.getByName(shard).get(key),
  'rpc-put': (env, key, shard) => env.BY_RPC.getByName(shard).put(key, VALUE),
  'fetch-get': async (env, key, shard) => {
    const response = await env.BY_FETCH.getByName(shard).fetch(`https://object/get?key=${key}`, { method: 'POST' });
    await response.arrayBuffer();
  },
  'fetch-put': async (env, key, shard) => {
    const response = await env.BY_FETCH.getByName(shard).fetch(`https://object/put?key=${key}`, { method: 'POST', body: VALUE });
    await response.arrayBuffer();
  },
};

export default {
  async fetch(request, env) {
    const name = new URL(request.url).pathname.slice(1);
    if (name === 'healthz') return new Response('ok');
    const operation = operations[name];
    if (!operation) return new Response('no such operation', { status: 404 });
    const key = `key-${Math.floor(Math.random() * 1000)}`;
    for (let i = 0; i < OPS; i++) await operation(env, key, `shard-${i % SHARDS}`);
    return new Response('ok');
  },
};
