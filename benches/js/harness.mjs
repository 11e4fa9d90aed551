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
