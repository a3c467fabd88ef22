/* The idle sign-out warning.
 *
 * The server signs a user out after a stretch without activity (accounts.middleware). A minute before,
 * this script asks the server how long is left (a background check, not activity: another tab may have
 * been busy) and, when the time is really running out, shows "You will be signed out in 60 s" with a
 * "Stay signed in" button that tells the server the user is still there. When the time is up it asks
 * once more, and follows the server to the login page, which says why.
 *
 * The timings come from <meta name="claimdesk-session" data-...> (base.html); no inline script.
 */
(function () {
  "use strict";

  const meta = document.querySelector('meta[name="claimdesk-session"]');
  if (!meta || typeof bootstrap === "undefined") {
    return;
  }
  const idleSeconds = Number(meta.dataset.idleSeconds);
  const warningSeconds = Math.min(Number(meta.dataset.warningSeconds), idleSeconds);
  const sessionUrl = meta.dataset.sessionUrl;
  const loginUrl = meta.dataset.loginUrl;
  const csrfToken = meta.dataset.csrfToken;

  let deadline = Date.now() + idleSeconds * 1000; // when the server will sign us out, as far as we know
  let warnTimer = null;
  let tickTimer = null;
  let dialog = null;
  let modal = null;

  function signedOut(response) {
    const target = (response && response.headers.get("HX-Redirect")) ||
      loginUrl + "?next=" + encodeURIComponent(window.location.pathname + window.location.search);
    window.location.assign(target);
  }

  function ask(method) {
    const headers = { "Accept": "application/json", "HX-Current-URL": window.location.href };
    if (method === "GET") {
      headers["X-ClaimDesk-Background"] = "1";
    } else {
      headers["X-CSRFToken"] = csrfToken;
    }
    return fetch(sessionUrl, { method: method, headers: headers, credentials: "same-origin" }).then(function (response) {
      if (!response.ok || response.redirected) {
        signedOut(response);
        return null;
      }
      return response.json();
    });
  }

  function buildDialog() {
    dialog = document.createElement("div");
    dialog.className = "modal fade";
    dialog.id = "session-timeout";
    dialog.tabIndex = -1;
    dialog.setAttribute("aria-labelledby", "session-timeout-title");
    dialog.setAttribute("aria-describedby", "session-timeout-text");
    dialog.setAttribute("data-bs-backdrop", "static");
    dialog.innerHTML =
      '<div class="modal-dialog modal-dialog-centered"><div class="modal-content">' +
      '<div class="modal-header"><h2 class="modal-title h5" id="session-timeout-title">Are you still there?</h2></div>' +
      '<div class="modal-body"><p class="mb-0" id="session-timeout-text">You will be signed out in ' +
      '<span data-countdown></span> s because nothing happened on ClaimDesk for a while.</p></div>' +
      '<div class="modal-footer"><button type="button" class="btn btn-primary" data-stay>Stay signed in</button></div>' +
      "</div></div>";
    document.body.appendChild(dialog);
    modal = new bootstrap.Modal(dialog, { backdrop: "static", keyboard: false });
    dialog.querySelector("[data-stay]").addEventListener("click", stay);
  }

  function secondsLeft() {
    return Math.max(0, Math.round((deadline - Date.now()) / 1000));
  }

  function schedule(seconds) {
    deadline = Date.now() + seconds * 1000;
    window.clearTimeout(warnTimer);
    warnTimer = window.setTimeout(check, Math.max(0, seconds - warningSeconds) * 1000);
  }

  function check() {
    ask("GET").then(function (answer) {
      if (!answer) {
        return;
      }
      if (answer.seconds_left > warningSeconds + 1) {
        schedule(answer.seconds_left); // activity elsewhere (another tab): wait again
        return;
      }
      deadline = Date.now() + answer.seconds_left * 1000;
      warn();
    });
  }

  function warn() {
    if (!dialog) {
      buildDialog();
    }
    const countdown = dialog.querySelector("[data-countdown]");
    countdown.textContent = String(secondsLeft());
    modal.show();
    window.clearInterval(tickTimer);
    tickTimer = window.setInterval(function () {
      const left = secondsLeft();
      countdown.textContent = String(left);
      if (left <= 0) {
        window.clearInterval(tickTimer);
        ask("GET").then(function (answer) {
          if (answer) {
            // the server still counts time left (a clock difference): keep waiting with it
            schedule(answer.seconds_left);
            if (answer.seconds_left <= warningSeconds + 1) {
              warn();
            } else {
              modal.hide();
            }
          }
        });
      }
    }, 1000);
  }

  function stay() {
    ask("POST").then(function (answer) {
      if (!answer) {
        return;
      }
      window.clearInterval(tickTimer);
      modal.hide();
      schedule(answer.seconds_left);
    });
  }

  // Anything the page sends through htmx is activity on the server: the clock starts again.
  document.body.addEventListener("htmx:afterRequest", function (event) {
    const headers = (event.detail && event.detail.requestConfig && event.detail.requestConfig.headers) || {};
    if (headers["X-ClaimDesk-Background"] !== "1" && !(modal && dialog.classList.contains("show"))) {
      schedule(idleSeconds);
    }
  });

  schedule(idleSeconds);
})();
