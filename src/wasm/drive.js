// Runs a Rust job of the JS API (src/wasm/job.rs): awaits the promise the job waits for,
// hands the outcome back, and repeats until the job is done. One native `await` per
// WebCrypto call, and no closures or microtasks on the Rust side.
export async function drive(job, promise) {
  try {
    for (;;) {
      let value;
      let rejected = false;
      try {
        value = await promise;
      } catch (reason) {
        value = reason;
        rejected = true;
      }
      promise = job.resume(value, rejected);
      if (promise === undefined) return job.finish();
    }
  } finally {
    job.free();
  }
}
