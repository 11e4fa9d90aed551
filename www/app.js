// oidc-edge demo page. Loads the npm package built into pkg/ (served at /pkg/) and shows what it does.
// No framework, no build step.

const DEFAULT_OP = 'http://localhost:8787';

/** The OP's base URL: `?op=<url>` on this page, else the `make dev` default. */
function opUrl() {
  const param = new URLSearchParams(location.search).get('op');
  if (param) {
    try {
      const url = new URL(param);
      if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
    } catch {
      // Not a URL: fall back to the default.
    }
  }
  return DEFAULT_OP;
}

function $(id) {
  return document.getElementById(id);
}

function setStatus(html, isError = false) {
  const status = $('pkce-status');
  status.innerHTML = html;
  status.classList.toggle('error', isError);
}

function showOp() {
  const op = opUrl();
  const link = $('op-url');
  link.href = `${op}/healthz`;
  link.firstElementChild.textContent = op;
}

async function loadPkg() {
  let mod;
  try {
    mod = await import('/pkg/oidc_edge.js');
  } catch (err) {
    console.warn('oidc-edge demo: /pkg/oidc_edge.js did not load', err);
    setStatus(
      'The npm package is not built yet: <code>pkg/oidc_edge.js</code> is missing. ' +
        'Build it (<code>sh scripts/build-pkg.sh</code>, or <code>make</code>) and reload this page.',
      true,
    );
    return;
  }
  try {
    await mod.default();
  } catch (err) {
    setStatus(`Loading the WebAssembly module failed: <code></code>`, true);
    $('pkce-status').querySelector('code').textContent = String(err?.message ?? err);
    return;
  }

  const button = $('pkce-new');
  const refresh = () => {
    try {
      const { verifier, challenge, method } = mod.createPkce();
      $('pkce-verifier').textContent = verifier;
      $('pkce-challenge').textContent = challenge;
      $('pkce-method').textContent = method;
      setStatus('Fresh pair from <code>createPkce()</code>.');
    } catch (err) {
      setStatus(`<code>createPkce()</code> failed: <code></code>`, true);
      $('pkce-status').querySelectorAll('code')[1].textContent = `${err?.code ?? ''} ${err?.message ?? err}`.trim();
    }
  };
  button.addEventListener('click', refresh);
  button.disabled = false;
  refresh();
}

showOp();
loadPkg();
