// A small benchmark harness: warm up, time several batches, report the median rate.
// Peers run in the same process and the same run, so ratios compare like with like.

/** Calls `fn` (sync or async) repeatedly; returns the median operations per second. */
export async function opsPerSecond(fn, { warmup = 2000, batches = 7, batchMs = 300 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  const rates = [];
  for (let b = 0; b < batches; b++) {
    let n = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < batchMs) {
      // Check the clock every 16 calls so reading it does not dominate fast functions.
      for (let i = 0; i < 16; i++) await fn();
      n += 16;
      elapsed = performance.now() - start;
    }
    rates.push((n * 1000) / elapsed);
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)];
}

/**
 * Rates of several contenders measured in turns: after each one's warm-up, `batches` rounds
 * in which every contender runs one batch of `batchMs`, in an order that rotates each round.
 * Returns { [name]: median operations per second }.
 *
 * Why turns: on a shared 2-CPU machine the load changes from second to second, and rows
 * measured one after the other (opsPerSecond) each met a different load; ratios of them
 * swung from 0.8× to 1.3× between runs of the same build. Batches side by side meet the same
 * load, so their medians compare like with like.
 */
export async function compareRates(fns, { warmup = 2000, batches = 9, batchMs = 300 } = {}) {
  const names = Object.keys(fns);
  for (const name of names) for (let i = 0; i < warmup; i++) await fns[name]();
  const rates = Object.fromEntries(names.map((name) => [name, []]));
  for (let b = 0; b < batches; b++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(b + k) % names.length];
      const fn = fns[name];
      let n = 0;
      const start = performance.now();
      let elapsed = 0;
      while (elapsed < batchMs) {
        for (let i = 0; i < 16; i++) await fn();
        n += 16;
        elapsed = performance.now() - start;
      }
      rates[name].push((n * 1000) / elapsed);
    }
  }
  const median = (list) => list.sort((x, y) => x - y)[Math.floor(list.length / 2)];
  return Object.fromEntries(names.map((name) => [name, median(rates[name])]));
}

/** Prints a comparison table: rows of { task, ours, peer, peerName }. */
export function printTable(title, rows) {
  console.log(`\n${title}`);
  console.log("| task | oidc-edge ops/s | peer | peer ops/s | ratio (ours / peer) |");
  console.log("|---|---:|---|---:|---:|");
  for (const { task, ours, peer, peerName } of rows) {
    const ratio = peer ? (ours / peer).toFixed(2) + "×" : "—";
    console.log(`| ${task} | ${fmt(ours)} | ${peerName ?? "—"} | ${peer ? fmt(peer) : "—"} | ${ratio} |`);
  }
}

function fmt(n) {
  return Math.round(n).toLocaleString("en-US");
}
